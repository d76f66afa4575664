#include "persistence/journal.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <variant>

#include "persistence/journal_impl.hpp"
#include "persistence/snapshot_codec.hpp"

namespace bulwark::persistence {

using detail::describe;
using detail::encode_u64;
using detail::JournalImpl;
using detail::status_error;
using detail::TenantTail;
using detail::validate_tenant;
using detail::writer_epoch_key;

const char* to_string(AppendStatus status) {
  switch (status) {
    case AppendStatus::committed:
      return "committed";
    case AppendStatus::fenced:
      return "fenced";
    case AppendStatus::sequence_gap:
      return "sequence_gap";
    case AppendStatus::chain_mismatch:
      return "chain_mismatch";
    case AppendStatus::invalid_request:
      return "invalid_request";
    case AppendStatus::io_error:
      return "io_error";
  }
  return "unknown";
}

namespace {

using AppendOutcome = std::variant<AppendResult, std::vector<std::pair<std::string, std::string>>>;

AppendResult reject(AppendStatus status, std::string message) {
  return AppendResult{status, {}, std::move(message)};
}

// Checks one request against the tenant's tail and, when it passes, returns its encoded key-value
// pairs and advances `tail` past it.
AppendOutcome prepare_append(const AppendRequest& request, TenantTail& tail) {
  const auto& tenant = request.tenant;
  if (request.events.empty()) {
    return reject(AppendStatus::invalid_request, "append for tenant " + tenant + " has no events");
  }
  if (tail.writer_epoch && request.writer_epoch < *tail.writer_epoch) {
    return reject(AppendStatus::fenced,
                  "writer epoch " + std::to_string(request.writer_epoch) + " is older than epoch " +
                      std::to_string(*tail.writer_epoch) + " recorded for tenant " + tenant);
  }
  std::uint64_t expected_seq = tail.last_seq + 1;
  for (const auto& event : request.events) {
    if (event.seq != expected_seq) {
      return reject(AppendStatus::sequence_gap, "append for tenant " + tenant + " has seq " +
                                                    std::to_string(event.seq) + ", expected " +
                                                    std::to_string(expected_seq));
    }
    ++expected_seq;
  }
  if (request.prev_hash != tail.chain_head) {
    return reject(AppendStatus::chain_mismatch,
                  "prev hash " + to_hex(request.prev_hash) + " of tenant " + tenant +
                      " is not the chain head " + to_hex(tail.chain_head) + " at seq " +
                      std::to_string(tail.last_seq));
  }

  std::vector<std::pair<std::string, std::string>> records;
  records.reserve(request.events.size());
  ChainHash chain_head = tail.chain_head;
  for (const auto& event : request.events) {
    auto value = encode_event(event, chain_head);
    if (!value.ok()) {
      return reject(AppendStatus::invalid_request, "tenant " + tenant + ": " + value.error());
    }
    chain_head = sha256(value.value());
    records.emplace_back(encode_event_key(tenant, event.seq), std::move(value).value());
  }
  tail.last_seq = request.events.back().seq;
  tail.chain_head = chain_head;
  return records;
}

}  // namespace

Journal::Journal(std::unique_ptr<detail::JournalImpl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;

const JournalOptions& Journal::options() const { return impl_->options; }
bool Journal::read_only() const { return impl_->read_only; }
std::uint64_t Journal::node_incarnation() const { return impl_->incarnation; }

std::vector<AppendResult> Journal::append_batch(const std::vector<AppendRequest>& requests) {
  std::vector<AppendResult> results(requests.size());
  if (impl_->read_only) {
    for (auto& result : results) {
      result = reject(AppendStatus::invalid_request, "journal is open read-only");
    }
    return results;
  }
  std::lock_guard<std::mutex> lock(impl_->append_mutex);

  // Validate each request against its tenant's tail, as advanced by the accepted requests before
  // it in this batch. The cache changes only after the write succeeds.
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, TenantTail> staged;
  std::vector<std::size_t> accepted;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& request = requests[i];
    if (auto valid = validate_tenant(request.tenant); !valid.ok()) {
      results[i] = reject(AppendStatus::invalid_request, valid.error());
      continue;
    }
    auto staged_it = staged.find(request.tenant);
    if (staged_it == staged.end()) {
      auto cached = impl_->tails.find(request.tenant);
      if (cached != impl_->tails.end()) {
        staged_it = staged.emplace(request.tenant, cached->second).first;
      } else {
        auto loaded = impl_->load_tail(request.tenant);
        if (!loaded.ok()) {
          results[i] = reject(AppendStatus::io_error, "cannot read the end of tenant " +
                                                          request.tenant + ": " + loaded.error());
          continue;
        }
        staged_it = staged.emplace(request.tenant, loaded.value()).first;
      }
    }

    TenantTail candidate = staged_it->second;
    auto outcome = prepare_append(request, candidate);
    if (auto* rejected = std::get_if<AppendResult>(&outcome)) {
      results[i] = std::move(*rejected);
      continue;
    }
    for (auto& [key, value] : std::get<1>(outcome)) batch.Put(impl_->events, key, value);
    if (!candidate.writer_epoch || request.writer_epoch > *candidate.writer_epoch) {
      candidate.writer_epoch = request.writer_epoch;
      batch.Put(impl_->meta, writer_epoch_key(request.tenant), encode_u64(request.writer_epoch));
    }
    staged_it->second = candidate;
    results[i] = AppendResult{AppendStatus::committed, candidate.chain_head, {}};
    accepted.push_back(i);
  }
  if (accepted.empty()) return results;

  auto written = impl_->write(batch, impl_->options.sync_writes);
  if (!written.ok()) {
    // The write may or may not have reached disk, so the tails are reloaded on next use.
    spdlog::error("journal_write_failed path={} requests={} error=\"{}\"", impl_->path,
                  accepted.size(), written.error());
    for (auto i : accepted) results[i] = reject(AppendStatus::io_error, written.error());
    for (const auto& [tenant, tail] : staged) impl_->tails.erase(tenant);
    return results;
  }
  for (auto& [tenant, tail] : staged) impl_->tails[tenant] = std::move(tail);
  return results;
}

namespace {

Result<std::vector<std::string>> list_families(const std::string& path) {
  std::vector<std::string> names;
  auto status = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names);
  if (status.ok()) return names;
  if (status.IsIOError() || status.IsNotFound() || status.IsPathNotFound()) {
    return Error{ErrorKind::not_found, "no journal at " + path + ": " + status.ToString()};
  }
  return status_error(status, "listing column families of " + path);
}

std::vector<rocksdb::ColumnFamilyDescriptor> describe_families(std::vector<std::string> names) {
  for (const auto& required : {rocksdb::kDefaultColumnFamilyName, detail::events_family,
                               detail::snapshots_family, detail::meta_family}) {
    if (std::find(names.begin(), names.end(), required) == names.end()) names.push_back(required);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  return descriptors;
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::open(const std::string& path, JournalOptions options) {
  std::vector<std::string> names;
  auto existing = list_families(path);
  if (existing.ok()) names = std::move(existing).value();
  auto descriptors = describe_families(std::move(names));

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto status = rocksdb::DB::Open(db_options, path, descriptors, &handles, &db);
  if (!status.ok()) return status_error(status, "opening journal " + path);

  auto impl = std::make_unique<JournalImpl>();
  impl->path = path;
  impl->options = std::move(options);
  impl->adopt(db, std::move(handles));

  // The incarnation is synced whatever the sync_writes setting, because it becomes the writer epoch
  // that fences this process's appends, and a reused epoch would not fence anything.
  auto previous = impl->read_u64(detail::incarnation_key);
  if (!previous.ok()) return previous.full_error();
  impl->incarnation = previous.value().value_or(0) + 1;
  rocksdb::WriteBatch batch;
  batch.Put(impl->meta, detail::incarnation_key, encode_u64(impl->incarnation));
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  status = impl->db->Write(write_options, &batch);
  if (!status.ok()) return status_error(status, "storing the node incarnation in " + path);

  std::unique_ptr<Journal> journal(new Journal(std::move(impl)));
  auto tenants = journal->list_tenants();
  if (!tenants.ok()) return tenants.full_error();
  spdlog::info("journal_open path={} incarnation={} tenants={} sync_writes={}", path,
               journal->node_incarnation(), tenants.value().size(), journal->options().sync_writes);
  return journal;
}

Result<std::unique_ptr<Journal>> Journal::open_read_only(const std::string& path) {
  auto names = list_families(path);
  if (!names.ok()) return names.full_error();
  for (const auto& required :
       {detail::events_family, detail::snapshots_family, detail::meta_family}) {
    const auto& found = names.value();
    if (std::find(found.begin(), found.end(), required) == found.end()) {
      return Error{ErrorKind::corruption,
                   path + " is not a journal: column family " + required + " is missing"};
    }
  }
  auto descriptors = describe_families(std::move(names).value());

  // OpenForReadOnly takes no lock, so it works beside a live read-write process. It replays the
  // WAL into its own memtable, so it reads every write synced before the open.
  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  auto status = rocksdb::DB::OpenForReadOnly(rocksdb::DBOptions(), path, descriptors, &handles, &db,
                                             /*error_if_wal_file_exists=*/false);
  if (!status.ok()) return status_error(status, "opening journal " + path + " read-only");

  auto impl = std::make_unique<JournalImpl>();
  impl->path = path;
  impl->read_only = true;
  impl->adopt(db, std::move(handles));
  auto incarnation = impl->read_u64(detail::incarnation_key);
  if (!incarnation.ok()) return incarnation.full_error();
  impl->incarnation = incarnation.value().value_or(0);

  std::unique_ptr<Journal> journal(new Journal(std::move(impl)));
  spdlog::info("journal_open_read_only path={} incarnation={}", path, journal->node_incarnation());
  return journal;
}

Result<void> Journal::write_snapshot(const std::string& tenant, std::uint64_t seq,
                                     const ChainHash& chain_head, const nlohmann::json& state) {
  if (impl_->read_only) return Error{ErrorKind::invalid_argument, "journal is open read-only"};
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid;

  // The snapshot's chain head becomes the trust anchor for later events, so it must be the real
  // hash of the event it claims to cover.
  auto stored = impl_->get(impl_->events, encode_event_key(tenant, seq));
  if (!stored.ok()) return stored.full_error();
  if (!stored.value()) {
    return Error{ErrorKind::invalid_argument,
                 "snapshot of " + describe(tenant, seq) + " covers an event that is not stored"};
  }
  if (sha256(*stored.value()) != chain_head) {
    return Error{ErrorKind::invalid_argument, "snapshot chain head " + to_hex(chain_head) +
                                                  " is not the hash of " + describe(tenant, seq)};
  }
  auto previous = read_snapshot(tenant);
  if (previous.ok() && previous.value() && previous.value()->seq > seq) {
    return Error{ErrorKind::invalid_argument, "snapshot of " + describe(tenant, seq) +
                                                  " is older than the stored one at seq " +
                                                  std::to_string(previous.value()->seq)};
  }

  auto value = encode_snapshot(seq, chain_head, state);
  if (!value.ok()) return Error{value.error_kind(), "tenant " + tenant + ": " + value.error()};
  rocksdb::WriteBatch batch;
  batch.Put(impl_->snapshots, tenant, value.value());
  auto written = impl_->write(batch, /*sync=*/true);
  if (!written.ok()) return written;
  spdlog::debug("snapshot_stored tenant={} seq={} bytes={}", tenant, seq, value.value().size());
  return {};
}

Result<std::uint64_t> Journal::delete_events_through(const std::string& tenant,
                                                     std::uint64_t through_seq) {
  if (impl_->read_only) return Error{ErrorKind::invalid_argument, "journal is open read-only"};
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  if (through_seq == UINT64_MAX) {
    return Error{ErrorKind::invalid_argument, "cannot delete through the largest seq"};
  }
  auto snapshot = read_snapshot(tenant);
  if (!snapshot.ok()) return snapshot.full_error();
  if (!snapshot.value() || snapshot.value()->seq < through_seq) {
    return Error{ErrorKind::invalid_argument,
                 "cannot delete events of " + describe(tenant, through_seq) +
                     ": no snapshot covers it, so recovery would lose them"};
  }

  // Appends only add seqs above the snapshot, but the mutex keeps the first retained seq and the
  // range delete in step with any other caller.
  std::lock_guard<std::mutex> lock(impl_->append_mutex);
  auto stats = tenant_stats(tenant);
  if (!stats.ok()) return stats.full_error();
  if (stats.value().event_count == 0 || stats.value().first_seq > through_seq) return 0;
  std::uint64_t removed = through_seq - stats.value().first_seq + 1;

  // The end key is exclusive. The first retained seq goes in the same batch, so a crash leaves
  // either both or neither.
  rocksdb::WriteBatch batch;
  auto status = batch.DeleteRange(impl_->events, encode_event_key(tenant, 0),
                                  encode_event_key(tenant, through_seq + 1));
  if (!status.ok()) return status_error(status, "range delete of " + tenant);
  batch.Put(impl_->meta, detail::first_retained_key(tenant), encode_u64(through_seq + 1));
  auto written = impl_->write(batch, /*sync=*/true);
  if (!written.ok()) return written.full_error();
  spdlog::info("events_deleted tenant={} through_seq={} removed={}", tenant, through_seq, removed);
  return removed;
}

}  // namespace bulwark::persistence
