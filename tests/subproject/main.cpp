#include <ctnn/ctnn.hpp>

int main() { return 0; }
