// The gradient law on random graphs (random_dag.hpp, random_dag_law.hpp): file 4 of 13, the
// seeds laws::dag_file_of deals to it (the 52 seeds are spread so that every file compiles in
// about the same time, under a minute).

#include "random_dag_law.hpp"

TEST_CASE_TEMPLATE("backprop matches central differences on random graphs (file 4 of 13)", T,
                   float, double) {
  laws::dag_law::check_file<3, T>();
}
