#pragma once
// The RocksDB journal: per-tenant event streams with a SHA-256 hash chain, snapshots, writer
// fencing and the node incarnation counter. No RocksDB type appears in this header.
//
// Column families:
//   default    unused, but RocksDB requires it
//   events     key and value as drawn in persistence/event_codec.hpp
//   snapshots  key = tenant id, and value (integers big-endian):
//                offset 0   1 byte    snapshot format version, currently 1
//                offset 1   8 bytes   seq covered (u64): the state includes events 1..seq
//                offset 9   32 bytes  chain head: hash of the stored value of event `seq`
//                offset 41  32 bytes  checksum: SHA-256 over bytes 0..40 followed by the body
//                offset 73  ...       body: compact JSON from domain::state_to_json
//   meta       "node_incarnation"         -> u64, incremented by every read-write open
//              "writer_epoch/" + tenant   -> u64, the newest writer epoch that appended to tenant
//              "first_retained/" + tenant -> u64, the lowest seq that retention kept: every event
//                                            before it was deleted on purpose (absent: 1)
//
// Thread safety: every method may be called from any thread. append_batch calls are serialized
// by an internal mutex, so group commit belongs in the caller, which should pass many tenants'
// requests to one call.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "domain/events.hpp"
#include "persistence/event_codec.hpp"
#include "persistence/result.hpp"

namespace bulwark::persistence {

namespace detail {
struct JournalImpl;
}

struct JournalOptions {
  // Writes wait for fsync of the RocksDB WAL before returning. Turning it off risks losing
  // acknowledged events on a machine crash, not on a process crash.
  bool sync_writes = true;
  // Events between snapshots of one tenant. The journal only carries it, for the tenant actors.
  std::uint64_t snapshot_every_events = 1000;
  // Test hook, called before each write. When it returns true, the write fails with io_error
  // without reaching RocksDB, as a failed fsync would.
  std::function<bool()> inject_write_failure;
};

// Events for one tenant, appended atomically or not at all.
struct AppendRequest {
  std::string tenant;
  std::uint64_t writer_epoch = 0;
  ChainHash prev_hash;  // the tenant's chain head as the caller knows it
  // Seqs already assigned by the caller: contiguous, the first one the tenant's last seq + 1.
  std::vector<domain::Event> events;
};

enum class AppendStatus {
  committed,
  fenced,           // writer_epoch is older than the epoch recorded for the tenant
  sequence_gap,     // the first seq is not last seq + 1, or the events are not contiguous
  chain_mismatch,   // prev_hash is not the tenant's current chain head
  invalid_request,  // empty events, bad tenant id, or an event that does not encode
  io_error,         // the write failed: every request of the batch gets this status
};

[[nodiscard]] const char* to_string(AppendStatus status);

struct AppendResult {
  AppendStatus status = AppendStatus::io_error;
  ChainHash chain_head;  // hash of the last appended event, when committed
  std::string message;   // why, when not committed

  [[nodiscard]] bool ok() const { return status == AppendStatus::committed; }
};

struct Snapshot {
  std::uint64_t seq = 0;  // last event the state includes
  ChainHash chain_head;   // hash of the stored value of event `seq`
  nlohmann::json state;   // domain::state_to_json form
};

// Everything recovery needs: fold `events` into the snapshot's state (or an empty state).
struct LoadedTenant {
  std::optional<Snapshot> snapshot;
  std::vector<domain::Event> events;  // seqs snapshot->seq + 1 (or 1) up to last_seq, in order
  ChainHash chain_head;               // hash of event last_seq, or genesis when there is none
  std::uint64_t last_seq = 0;
};

struct StoredEvent {
  domain::Event event;
  ChainHash prev_hash;
  ChainHash hash;  // SHA-256 of the stored value
};

struct TenantStats {
  std::string tenant;
  std::uint64_t first_seq = 0;  // 0 when the tenant has no stored events
  std::uint64_t last_seq = 0;
  std::uint64_t event_count = 0;        // last_seq - first_seq + 1, from seqs, so no scan
  std::uint64_t approximate_bytes = 0;  // RocksDB estimate, memtables included
  std::optional<std::uint64_t> snapshot_seq;
  std::optional<std::uint64_t> writer_epoch;
  std::uint64_t first_retained_seq = 1;  // events before it were deleted by retention
};

struct ColumnFamilyStats {
  std::string name;
  std::uint64_t estimated_keys = 0;   // rocksdb.estimate-num-keys
  std::uint64_t sst_bytes = 0;        // rocksdb.total-sst-files-size
  std::uint64_t live_data_bytes = 0;  // rocksdb.estimate-live-data-size
  std::uint64_t memtable_bytes = 0;   // rocksdb.cur-size-all-mem-tables
};

struct DatabaseStats {
  std::string path;
  bool read_only = false;
  std::uint64_t node_incarnation = 0;
  std::vector<ColumnFamilyStats> column_families;
};

class Journal {
 public:
  // Opens or creates the database read-write and increments the node incarnation (synced). Fails
  // with io_error when another process holds the database lock.
  [[nodiscard]] static Result<std::unique_ptr<Journal>> open(const std::string& path,
                                                             JournalOptions options = {});
  // Opens an existing database read-only without taking its lock, so tools run beside a live node.
  // The handle reads the data committed before the open, including the WAL, and nothing later.
  [[nodiscard]] static Result<std::unique_ptr<Journal>> open_read_only(const std::string& path);

  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  [[nodiscard]] const JournalOptions& options() const;
  [[nodiscard]] bool read_only() const;
  // The incarnation stored by this process's open (read-write), or the stored value (read-only).
  [[nodiscard]] std::uint64_t node_incarnation() const;

  // Writes all committable requests in one WriteBatch with one (synced) write, and returns one
  // result per request, in order. Requests that fail validation are left out of the batch, and the
  // others still commit. Several requests for one tenant are checked in order, each continuing
  // the previous one. A failed write fails every request that was in it.
  [[nodiscard]] std::vector<AppendResult> append_batch(const std::vector<AppendRequest>& requests);

  // Loads the newest valid snapshot and every later event, checking seq continuity and the hash
  // chain. A snapshot with a bad checksum or a chain head that does not match its event is logged
  // and ignored, so recovery replays from seq 1. Returns corruption naming the tenant and seq on a
  // gap, a broken chain or an event that does not decode.
  // NOTE: removing the newest events goes unnoticed, because no later event stores their hash.
  [[nodiscard]] Result<LoadedTenant> load_tenant(const std::string& tenant) const;

  // Returns at most `limit` events with seq > after_seq, in order, without loading more. Does not
  // check continuity or the chain: load_tenant does.
  [[nodiscard]] Result<std::vector<StoredEvent>> read_events(const std::string& tenant,
                                                             std::uint64_t after_seq,
                                                             std::size_t limit) const;

  // Replaces the tenant's snapshot (synced write). Rejects with invalid_argument a seq whose event
  // is not stored, a chain head that differs from that event's hash, or a seq older than the
  // stored snapshot's.
  [[nodiscard]] Result<void> write_snapshot(const std::string& tenant, std::uint64_t seq,
                                            const ChainHash& chain_head,
                                            const nlohmann::json& state);
  // Returns nullopt when there is none, corruption when its checksum or format is bad.
  [[nodiscard]] Result<std::optional<Snapshot>> read_snapshot(const std::string& tenant) const;

  // Deletes the tenant's events with seq <= through_seq in one synced range delete, without
  // reading them, and records through_seq + 1 as the first retained seq in the same write. The
  // stored snapshot must cover through_seq, so recovery and the hash chain continue from it.
  // Returns the number of events removed, computed from seqs.
  [[nodiscard]] Result<std::uint64_t> delete_events_through(const std::string& tenant,
                                                            std::uint64_t through_seq);
  // The lowest seq that retention kept: 1 when nothing was deleted.
  [[nodiscard]] Result<std::uint64_t> first_retained_seq(const std::string& tenant) const;
  // Returns the highest seq in first..seq_max whose event timestamp is before `cutoff`, or 0 when
  // there is none. Binary search with point reads of about log2(n) events, so nothing in between
  // is loaded.
  // NOTE: assumes timestamps never decrease along a tenant's stream; a wall clock that stepped
  // back makes the boundary approximate, never beyond seq_max.
  [[nodiscard]] Result<std::uint64_t> last_seq_before(const std::string& tenant,
                                                      domain::TimePoint cutoff,
                                                      std::uint64_t seq_max) const;

  // Sorted tenant ids that have events or a snapshot. Costs one seek per tenant.
  [[nodiscard]] Result<std::vector<std::string>> list_tenants() const;
  [[nodiscard]] Result<TenantStats> tenant_stats(const std::string& tenant) const;
  [[nodiscard]] Result<DatabaseStats> database_stats() const;

 private:
  explicit Journal(std::unique_ptr<detail::JournalImpl> impl);
  std::unique_ptr<detail::JournalImpl> impl_;
};

}  // namespace bulwark::persistence
