#pragma once
// Result type of the persistence layer. Storage failures come back as values, never as exceptions
// or rocksdb::Status, because an exception that escapes a CAF 0.17 handler kills the actor.
#include <string>
#include <utility>
#include <variant>

namespace bulwark::persistence {

enum class ErrorKind {
  io_error,          // RocksDB failed to read or write
  corruption,        // stored bytes do not decode, or the hash chain or seq order is broken
  not_found,         // the database or the requested record does not exist
  invalid_argument,  // the caller broke a precondition (bad tenant id, hash size, read-only handle)
};

[[nodiscard]] const char* to_string(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::io_error;
  std::string message;  // names the tenant and seq where one is involved
};

// Either a value or an Error. error() returns the message, so callers can log or concatenate it.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : value_(std::move(error)) {}

  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(value_); }
  [[nodiscard]] T& value() & { return std::get<T>(value_); }
  [[nodiscard]] const T& value() const& { return std::get<T>(value_); }
  [[nodiscard]] T&& value() && { return std::get<T>(std::move(value_)); }
  [[nodiscard]] const std::string& error() const { return std::get<Error>(value_).message; }
  [[nodiscard]] ErrorKind error_kind() const { return std::get<Error>(value_).kind; }
  [[nodiscard]] const Error& full_error() const { return std::get<Error>(value_); }

 private:
  std::variant<T, Error> value_;
};

// Outcome of an operation that returns nothing on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& error() const { return error_.message; }
  [[nodiscard]] ErrorKind error_kind() const { return error_.kind; }
  [[nodiscard]] const Error& full_error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace bulwark::persistence
