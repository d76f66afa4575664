// Journal reads: recovery, event pages, snapshots, tenant listing and statistics.
#include <spdlog/spdlog.h>

#include <set>

#include "persistence/journal.hpp"
#include "persistence/journal_impl.hpp"
#include "persistence/snapshot_codec.hpp"

namespace bulwark::persistence {

using detail::describe;
using detail::status_error;
using detail::validate_tenant;

namespace {

// An iterator over one tenant's events, bounded so RocksDB never reads past the tenant's keys.
// The bound strings live here because ReadOptions keeps only pointers to them.
class TenantEventCursor {
 public:
  TenantEventCursor(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* events, const std::string& tenant)
      : upper_(detail::tenant_key_end(tenant)), upper_bound_(upper_) {
    rocksdb::ReadOptions read_options;
    read_options.iterate_upper_bound = &upper_bound_;
    iterator_.reset(db.NewIterator(read_options, events));
  }

  rocksdb::Iterator& operator*() { return *iterator_; }
  rocksdb::Iterator* operator->() { return iterator_.get(); }

 private:
  std::string upper_;
  rocksdb::Slice upper_bound_;
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

struct DecodedAt {
  std::uint64_t key_seq = 0;
  DecodedEvent decoded;
};

// Decodes the event under the cursor and checks that its key and value agree on the seq.
Result<DecodedAt> decode_current(rocksdb::Iterator& it, const std::string& tenant) {
  auto key = decode_event_key(it.key().ToStringView());
  if (!key.ok()) return Error{ErrorKind::corruption, "tenant " + tenant + ": " + key.error()};
  std::uint64_t seq = key.value().seq;
  auto decoded = decode_event(it.value().ToStringView());
  if (!decoded.ok()) {
    return Error{ErrorKind::corruption, describe(tenant, seq) + ": " + decoded.error()};
  }
  if (decoded.value().event.seq != seq) {
    return Error{ErrorKind::corruption, describe(tenant, seq) + ": stored value carries seq " +
                                            std::to_string(decoded.value().event.seq)};
  }
  return DecodedAt{seq, std::move(decoded).value()};
}

// Returns the snapshot to recover from, or nullopt when there is none or it cannot be trusted.
// An untrusted snapshot is logged and skipped: a full replay from seq 1 then either rebuilds the
// state or names the damaged event.
Result<std::optional<Snapshot>> trusted_snapshot(const Journal& journal,
                                                 const detail::JournalImpl& impl,
                                                 const std::string& tenant) {
  auto snapshot = journal.read_snapshot(tenant);
  if (!snapshot.ok()) {
    if (snapshot.error_kind() != ErrorKind::corruption) return snapshot.full_error();
    spdlog::warn("snapshot_ignored tenant={} reason=\"{}\"", tenant, snapshot.error());
    return std::optional<Snapshot>();
  }
  if (!snapshot.value()) return snapshot;

  const auto& found = *snapshot.value();
  auto covered = impl.get(impl.events, encode_event_key(tenant, found.seq));
  if (!covered.ok()) return covered.full_error();
  if (!covered.value()) {
    // Retention removes only a prefix, so an earlier event surviving means seq was lost, and a
    // full replay would silently stop before it.
    auto earlier = impl.find_last_event(tenant, found.seq);
    if (!earlier.ok()) return earlier.full_error();
    if (earlier.value()) {
      return Error{ErrorKind::corruption,
                   describe(tenant, found.seq) + " is covered by the snapshot but missing, while " +
                       "seq " + std::to_string(earlier.value()->seq) + " is still stored"};
    }
  }
  if (covered.value() && sha256(*covered.value()) != found.chain_head) {
    spdlog::warn(
        "snapshot_ignored tenant={} seq={} reason=\"chain head does not match the "
        "stored event\"",
        tenant, found.seq);
    return std::optional<Snapshot>();
  }
  return snapshot;
}

// Completes a gap message. A gap below the first retained seq is history that retention deleted
// on purpose, which only a snapshot can stand in for.
std::string explain_gap(std::uint64_t expected_seq, std::uint64_t first_retained) {
  if (expected_seq >= first_retained) return "";
  return "; events " + std::to_string(expected_seq) + ".." + std::to_string(first_retained - 1) +
         " were deleted by retention and no valid snapshot covers them";
}

}  // namespace

Result<std::uint64_t> Journal::first_retained_seq(const std::string& tenant) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  auto stored = impl_->read_u64(detail::first_retained_key(tenant));
  if (!stored.ok()) return stored.full_error();
  return stored.value().value_or(1);
}

Result<std::uint64_t> Journal::last_seq_before(const std::string& tenant, domain::TimePoint cutoff,
                                               std::uint64_t seq_max) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  auto stats = tenant_stats(tenant);
  if (!stats.ok()) return stats.full_error();
  if (stats.value().event_count == 0) return std::uint64_t{0};

  // Invariant: events lo-1 and below are before the cutoff, events above hi are not.
  std::uint64_t lo = stats.value().first_seq;
  std::uint64_t hi = std::min(seq_max, stats.value().last_seq);
  std::uint64_t found = 0;
  while (lo <= hi) {
    std::uint64_t mid = lo + (hi - lo) / 2;
    auto stored = impl_->get(impl_->events, encode_event_key(tenant, mid));
    if (!stored.ok()) return stored.full_error();
    if (!stored.value()) {
      return Error{ErrorKind::corruption, describe(tenant, mid) + " is missing inside the stream"};
    }
    auto decoded = decode_event(*stored.value());
    if (!decoded.ok()) {
      return Error{ErrorKind::corruption, describe(tenant, mid) + ": " + decoded.error()};
    }
    if (decoded.value().event.ts < cutoff) {
      found = mid;
      lo = mid + 1;
    } else {
      if (mid == 0) break;
      hi = mid - 1;
    }
  }
  return found;
}

Result<LoadedTenant> Journal::load_tenant(const std::string& tenant) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  LoadedTenant loaded;
  auto snapshot = trusted_snapshot(*this, *impl_, tenant);
  if (!snapshot.ok()) return snapshot.full_error();
  loaded.snapshot = std::move(snapshot).value();
  auto first_retained = first_retained_seq(tenant);
  if (!first_retained.ok()) return first_retained.full_error();
  loaded.last_seq = loaded.snapshot ? loaded.snapshot->seq : 0;
  loaded.chain_head = loaded.snapshot ? loaded.snapshot->chain_head : genesis_hash();

  // Every later event must continue the seq and the chain from the snapshot, or from genesis.
  TenantEventCursor it(*impl_->db, impl_->events, tenant);
  for (it->Seek(encode_event_key(tenant, loaded.last_seq + 1)); it->Valid(); it->Next()) {
    auto current = decode_current(*it, tenant);
    if (!current.ok()) return current.full_error();
    auto& [seq, decoded] = current.value();
    std::uint64_t expected_seq = loaded.last_seq + 1;
    if (seq != expected_seq) {
      return Error{ErrorKind::corruption,
                   "tenant " + tenant + " has a gap: expected seq " + std::to_string(expected_seq) +
                       ", found seq " + std::to_string(seq) +
                       explain_gap(expected_seq, first_retained.value())};
    }
    if (decoded.prev_hash != loaded.chain_head) {
      return Error{ErrorKind::corruption, "hash chain of tenant " + tenant + " is broken at seq " +
                                              std::to_string(seq) +
                                              ": its prev hash does not match the hash of seq " +
                                              std::to_string(loaded.last_seq)};
    }
    loaded.chain_head = sha256(it->value().ToStringView());
    loaded.last_seq = seq;
    loaded.events.push_back(std::move(decoded.event));
  }
  if (!it->status().ok()) return status_error(it->status(), "reading events of " + tenant);

  spdlog::debug("tenant_loaded tenant={} snapshot_seq={} events={} last_seq={}", tenant,
                loaded.snapshot ? loaded.snapshot->seq : 0, loaded.events.size(), loaded.last_seq);
  return loaded;
}

Result<std::vector<StoredEvent>> Journal::read_events(const std::string& tenant,
                                                      std::uint64_t after_seq,
                                                      std::size_t limit) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  std::vector<StoredEvent> page;
  if (limit == 0 || after_seq == UINT64_MAX) return page;

  TenantEventCursor it(*impl_->db, impl_->events, tenant);
  for (it->Seek(encode_event_key(tenant, after_seq + 1)); it->Valid() && page.size() < limit;
       it->Next()) {
    auto current = decode_current(*it, tenant);
    if (!current.ok()) return current.full_error();
    auto& decoded = current.value().decoded;
    page.push_back(StoredEvent{std::move(decoded.event), std::move(decoded.prev_hash),
                               sha256(it->value().ToStringView())});
  }
  if (!it->status().ok()) return status_error(it->status(), "reading events of " + tenant);
  return page;
}

Result<std::optional<Snapshot>> Journal::read_snapshot(const std::string& tenant) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  auto stored = impl_->get(impl_->snapshots, tenant);
  if (!stored.ok()) return stored.full_error();
  if (!stored.value()) return std::optional<Snapshot>();
  auto snapshot = decode_snapshot(*stored.value());
  if (!snapshot.ok()) {
    return Error{ErrorKind::corruption, "snapshot of tenant " + tenant + ": " + snapshot.error()};
  }
  return std::optional<Snapshot>(std::move(snapshot).value());
}

Result<std::vector<std::string>> Journal::list_tenants() const {
  std::set<std::string> tenants;

  // One seek per tenant: after reading a tenant's first key, jump past all of its keys.
  std::unique_ptr<rocksdb::Iterator> events(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->events));
  for (events->SeekToFirst(); events->Valid();) {
    auto key = decode_event_key(events->key().ToStringView());
    if (!key.ok()) return key.full_error();
    tenants.insert(key.value().tenant);
    events->Seek(detail::tenant_key_end(key.value().tenant));
  }
  if (!events->status().ok()) return status_error(events->status(), "listing tenants");

  // A tenant whose events retention removed entirely is still a tenant: its snapshot remains.
  std::unique_ptr<rocksdb::Iterator> snapshots(
      impl_->db->NewIterator(rocksdb::ReadOptions(), impl_->snapshots));
  for (snapshots->SeekToFirst(); snapshots->Valid(); snapshots->Next()) {
    tenants.insert(snapshots->key().ToString());
  }
  if (!snapshots->status().ok()) return status_error(snapshots->status(), "listing snapshots");

  return std::vector<std::string>(tenants.begin(), tenants.end());
}

Result<TenantStats> Journal::tenant_stats(const std::string& tenant) const {
  if (auto valid = validate_tenant(tenant); !valid.ok()) return valid.full_error();
  TenantStats stats;
  stats.tenant = tenant;

  TenantEventCursor first(*impl_->db, impl_->events, tenant);
  first->Seek(detail::tenant_key_begin(tenant));
  if (!first->status().ok()) return status_error(first->status(), "reading events of " + tenant);
  if (first->Valid()) {
    auto key = decode_event_key(first->key().ToStringView());
    if (!key.ok()) return key.full_error();
    stats.first_seq = key.value().seq;
    auto last = impl_->find_last_event(tenant, UINT64_MAX);
    if (!last.ok()) return last.full_error();
    stats.last_seq = last.value() ? last.value()->seq : stats.first_seq;
    stats.event_count = stats.last_seq - stats.first_seq + 1;
  }

  std::string begin = detail::tenant_key_begin(tenant);
  std::string end = detail::tenant_key_end(tenant);
  rocksdb::Range range(begin, end);
  rocksdb::SizeApproximationOptions size_options;
  size_options.include_memtables = true;
  size_options.include_files = true;
  auto status = impl_->db->GetApproximateSizes(size_options, impl_->events, &range, 1,
                                               &stats.approximate_bytes);
  if (!status.ok()) return status_error(status, "estimating the size of " + tenant);

  auto snapshot = read_snapshot(tenant);
  if (snapshot.ok() && snapshot.value()) stats.snapshot_seq = snapshot.value()->seq;
  auto epoch = impl_->read_u64(detail::writer_epoch_key(tenant));
  if (!epoch.ok()) return epoch.full_error();
  stats.writer_epoch = epoch.value();
  auto first_retained = first_retained_seq(tenant);
  if (!first_retained.ok()) return first_retained.full_error();
  stats.first_retained_seq = first_retained.value();
  return stats;
}

Result<DatabaseStats> Journal::database_stats() const {
  DatabaseStats stats;
  stats.path = impl_->path;
  stats.read_only = impl_->read_only;
  stats.node_incarnation = impl_->incarnation;
  for (auto* handle : impl_->handles) {
    ColumnFamilyStats family;
    family.name = handle->GetName();
    // A property RocksDB cannot compute stays 0. These are estimates for display only.
    impl_->db->GetIntProperty(handle, "rocksdb.estimate-num-keys", &family.estimated_keys);
    impl_->db->GetIntProperty(handle, "rocksdb.total-sst-files-size", &family.sst_bytes);
    impl_->db->GetIntProperty(handle, "rocksdb.estimate-live-data-size", &family.live_data_bytes);
    impl_->db->GetIntProperty(handle, "rocksdb.cur-size-all-mem-tables", &family.memtable_bytes);
    stats.column_families.push_back(std::move(family));
  }
  return stats;
}

}  // namespace bulwark::persistence
