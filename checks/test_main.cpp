#define BOOST_TEST_MODULE gradcheck
#include <boost/test/unit_test.hpp>
