#include "gradcheck/model/backprop.hpp"

namespace gradcheck {

template Gradient<double> backprop(const Problem&, const Weights<double>&, KinkSide);

}  // namespace gradcheck
