#include "gradcheck/model/network.hpp"

namespace gradcheck {

GRADCHECK_FOR_EACH_SCALAR(GRADCHECK_NETWORK_INSTANCES, template)

}  // namespace gradcheck
