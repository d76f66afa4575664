#pragma once
// Internals of Journal shared by its source files: the RocksDB handles, the cache of tenant tails
// and the reads that several operations need. Not part of the public interface.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "persistence/journal.hpp"

namespace bulwark::persistence::detail {

inline const std::string events_family = "events";
inline const std::string snapshots_family = "snapshots";
inline const std::string meta_family = "meta";
inline const std::string incarnation_key = "node_incarnation";
inline const std::string writer_epoch_prefix = "writer_epoch/";
inline const std::string first_retained_prefix = "first_retained/";

[[nodiscard]] Error status_error(const rocksdb::Status& status, const std::string& action);
[[nodiscard]] Result<void> validate_tenant(const std::string& tenant);
[[nodiscard]] std::string writer_epoch_key(const std::string& tenant);
[[nodiscard]] std::string first_retained_key(const std::string& tenant);
[[nodiscard]] std::string encode_u64(std::uint64_t value);
// "tenant t seq n", for error messages.
[[nodiscard]] std::string describe(const std::string& tenant, std::uint64_t seq);

// All keys of a tenant lie in [tenant + "\0", tenant + "\1"), because every key of the tenant is
// its id, a NUL and eight seq bytes.
[[nodiscard]] inline std::string tenant_key_begin(const std::string& tenant) {
  return tenant + '\0';
}
[[nodiscard]] inline std::string tenant_key_end(const std::string& tenant) {
  return tenant + '\x01';
}

// End of a tenant's stream, as needed to validate the next append.
struct TenantTail {
  std::uint64_t last_seq = 0;
  ChainHash chain_head = genesis_hash();
  std::optional<std::uint64_t> writer_epoch;
};

struct StoredValue {
  std::uint64_t seq = 0;
  std::string value;
};

struct JournalImpl {
  std::string path;
  JournalOptions options;
  bool read_only = false;
  std::uint64_t incarnation = 0;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned, and destroyed before db closes
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;

  // Serializes append_batch and guards `tails`, a lazily filled cache of every tenant appended to
  // by this process. It grows by one small entry per tenant and is never trimmed.
  std::mutex append_mutex;
  std::unordered_map<std::string, TenantTail> tails;

  JournalImpl() = default;
  JournalImpl(const JournalImpl&) = delete;
  JournalImpl& operator=(const JournalImpl&) = delete;
  ~JournalImpl();

  // Takes ownership of an opened database and finds the column families the journal uses.
  void adopt(rocksdb::DB* opened, std::vector<rocksdb::ColumnFamilyHandle*> opened_handles);

  [[nodiscard]] Result<std::optional<std::string>> get(rocksdb::ColumnFamilyHandle* family,
                                                       const std::string& key) const;
  [[nodiscard]] Result<std::optional<std::uint64_t>> read_u64(const std::string& key) const;
  // Returns the event of `tenant` with the highest seq <= seq_max, found with one backward seek.
  [[nodiscard]] Result<std::optional<StoredValue>> find_last_event(const std::string& tenant,
                                                                   std::uint64_t seq_max) const;
  [[nodiscard]] Result<TenantTail> load_tail(const std::string& tenant) const;
  // Writes the batch, unless the fault injection hook fails it first.
  [[nodiscard]] Result<void> write(rocksdb::WriteBatch& batch, bool sync);
};

}  // namespace bulwark::persistence::detail
