// What the arithmetic laws include, precompiled once per build (make_pch.py): ctnn, doctest and
// the laws' own machinery, whose constant tables (the random graphs' plans) are then computed once.
#include <doctest/doctest.h>

#include <ctnn/ctnn.hpp>

#include "laws/gradcheck.hpp"
#include "laws/random_dag_law.hpp"
#include "laws/random_network.hpp"
