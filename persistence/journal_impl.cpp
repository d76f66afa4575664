#include "persistence/journal_impl.hpp"

#include <spdlog/spdlog.h>

#include "persistence/byte_order.hpp"
#include "persistence/snapshot_codec.hpp"

namespace bulwark::persistence::detail {

Error status_error(const rocksdb::Status& status, const std::string& action) {
  ErrorKind kind = status.IsCorruption() ? ErrorKind::corruption : ErrorKind::io_error;
  return Error{kind, action + " failed: " + status.ToString()};
}

Result<void> validate_tenant(const std::string& tenant) {
  if (tenant.empty()) return Error{ErrorKind::invalid_argument, "tenant id is empty"};
  if (tenant.find('\0') != std::string::npos) {
    return Error{ErrorKind::invalid_argument, "tenant id contains a NUL byte"};
  }
  return {};
}

std::string writer_epoch_key(const std::string& tenant) { return writer_epoch_prefix + tenant; }

std::string first_retained_key(const std::string& tenant) {
  return first_retained_prefix + tenant;
}

std::string encode_u64(std::uint64_t value) {
  std::string bytes;
  put_u64(bytes, value);
  return bytes;
}

std::string describe(const std::string& tenant, std::uint64_t seq) {
  return "tenant " + tenant + " seq " + std::to_string(seq);
}

JournalImpl::~JournalImpl() {
  if (!db) return;
  for (auto* handle : handles) {
    auto status = db->DestroyColumnFamilyHandle(handle);
    if (!status.ok()) {
      spdlog::warn("journal_close_failed path={} error=\"{}\"", path, status.ToString());
    }
  }
  auto status = db->Close();
  if (!status.ok()) {
    spdlog::warn("journal_close_failed path={} error=\"{}\"", path, status.ToString());
  }
  spdlog::info("journal_closed path={} read_only={}", path, read_only);
}

void JournalImpl::adopt(rocksdb::DB* opened,
                        std::vector<rocksdb::ColumnFamilyHandle*> opened_handles) {
  db.reset(opened);
  handles = std::move(opened_handles);
  for (auto* handle : handles) {
    if (handle->GetName() == events_family) events = handle;
    if (handle->GetName() == snapshots_family) snapshots = handle;
    if (handle->GetName() == meta_family) meta = handle;
  }
}

Result<std::optional<std::string>> JournalImpl::get(rocksdb::ColumnFamilyHandle* family,
                                                    const std::string& key) const {
  std::string value;
  auto status = db->Get(rocksdb::ReadOptions(), family, key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) return status_error(status, "read from column family " + family->GetName());
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<std::uint64_t>> JournalImpl::read_u64(const std::string& key) const {
  auto stored = get(meta, key);
  if (!stored.ok()) return stored.full_error();
  if (!stored.value()) return std::optional<std::uint64_t>();
  if (stored.value()->size() != 8) {
    return Error{ErrorKind::corruption, "meta value of " + key + " is not 8 bytes"};
  }
  return std::optional<std::uint64_t>(get_u64(stored.value()->data()));
}

Result<std::optional<StoredValue>> JournalImpl::find_last_event(const std::string& tenant,
                                                                std::uint64_t seq_max) const {
  std::string lower = tenant_key_begin(tenant);
  rocksdb::Slice lower_bound(lower);
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower_bound;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read_options, events));
  it->SeekForPrev(encode_event_key(tenant, seq_max));
  if (!it->Valid()) {
    if (!it->status().ok()) return status_error(it->status(), "seek in events of " + tenant);
    return std::optional<StoredValue>();
  }
  auto key = decode_event_key(it->key().ToStringView());
  if (!key.ok()) return Error{ErrorKind::corruption, "tenant " + tenant + ": " + key.error()};
  return std::optional<StoredValue>(StoredValue{key.value().seq, it->value().ToString()});
}

Result<TenantTail> JournalImpl::load_tail(const std::string& tenant) const {
  TenantTail tail;
  auto last = find_last_event(tenant, UINT64_MAX);
  if (!last.ok()) return last.full_error();
  if (last.value()) {
    tail.last_seq = last.value()->seq;
    tail.chain_head = sha256(last.value()->value);
  } else {
    // Retention may have removed every event, and then the snapshot records where the stream ends.
    auto stored = get(snapshots, tenant);
    if (!stored.ok()) return stored.full_error();
    if (stored.value()) {
      auto snapshot = decode_snapshot(*stored.value());
      if (!snapshot.ok()) {
        return Error{ErrorKind::corruption,
                     "tenant " + tenant +
                         " has no events and its snapshot is unusable: " + snapshot.error()};
      }
      tail.last_seq = snapshot.value().seq;
      tail.chain_head = snapshot.value().chain_head;
    }
  }

  auto epoch = read_u64(writer_epoch_key(tenant));
  if (!epoch.ok()) return epoch.full_error();
  tail.writer_epoch = epoch.value();
  return tail;
}

Result<void> JournalImpl::write(rocksdb::WriteBatch& batch, bool sync) {
  if (options.inject_write_failure && options.inject_write_failure()) {
    return Error{ErrorKind::io_error, "write failed: injected fault"};
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  auto status = db->Write(write_options, &batch);
  if (!status.ok()) return status_error(status, "write");
  return {};
}

}  // namespace bulwark::persistence::detail
