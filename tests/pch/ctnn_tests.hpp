// What every test program includes, precompiled once per build (make_pch.py): ctnn and doctest.
#include <doctest/doctest.h>

#include <ctnn/ctnn.hpp>
