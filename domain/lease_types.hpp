#pragma once
// Data types of job leases and of the work they fence: their events (type ids 34-37), their
// commands and their part of the tenant state. Plain data only, so events.hpp, commands.hpp and
// state.hpp can include this file; the rules live in domain/lease.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <variant>

#include "domain/time.hpp"

namespace bulwark::domain {

// Events. A fencing token starts at 1 and grows by one on every acquisition of the same job, so a
// holder that was taken over always carries a smaller token than the current one.
struct LeaseAcquired {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
  TimePoint expires_at;
  std::string previous_owner;  // empty when the job never had a holder
};

struct LeaseRenewed {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
  TimePoint expires_at;
};

struct LeaseReleased {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
};

// A retention run deleted a tenant's journal prefix while it held the job's lease with `token`.
struct RetentionApplied {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
  std::string tenant;
  std::uint64_t snapshot_seq = 0;        // the snapshot that covers the deleted events
  std::uint64_t first_retained_seq = 0;  // every event before it is deleted
  std::uint64_t deleted = 0;             // events removed by this run, computed from seqs
};

// Commands. They travel as one LeaseCommand alternative of domain::Command, and only the node's
// reserved system tenant accepts them.
struct AcquireLease {
  std::string job;
  std::string owner;
  std::int64_t ttl_ms = 0;
};

struct RenewLease {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
  std::int64_t ttl_ms = 0;
};

struct ReleaseLease {
  std::string job;
  std::string owner;
  std::uint64_t token = 0;
};

// Records a retention run. decide() accepts it only while (job, owner, token) holds the lease; the
// node fills snapshot_seq and deleted from the journal when it performs the deletion.
struct RecordRetention {
  RetentionApplied result;
};

using LeaseCommand = std::variant<AcquireLease, RenewLease, ReleaseLease, RecordRetention>;

// State: the newest lease of each job. A released or expired lease keeps its token, so the next
// acquisition continues from it.
struct Lease {
  std::string owner;
  std::uint64_t token = 0;
  TimePoint expires_at;
  bool released = false;
};

struct LeaseTable {
  std::map<std::string, Lease> leases;  // by job name
};

}  // namespace bulwark::domain
