#include "persistence/result.hpp"

namespace bulwark::persistence {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::io_error:
      return "io_error";
    case ErrorKind::corruption:
      return "corruption";
    case ErrorKind::not_found:
      return "not_found";
    case ErrorKind::invalid_argument:
      return "invalid_argument";
  }
  return "unknown";
}

}  // namespace bulwark::persistence
