#include "common/shared_memory.hpp"

#include <string>
#include <sys/mman.h>

#include "common/system_error.hpp"

namespace pb {

SharedMapping::SharedMapping(std::size_t bytes) : size_(bytes == 0 ? 1 : bytes) {
    data_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (data_ == MAP_FAILED) throw_system_error("mmap", std::to_string(size_) + " bytes MAP_SHARED");
}

SharedMapping::~SharedMapping() { munmap(data_, size_); }

} // namespace pb
