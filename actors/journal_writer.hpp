#pragma once
// The journal writer: one detached actor that turns appends from many tenant actors into one
// synced RocksDB write. While a write is in flight, new appends wait in its mailbox, and the next
// flush takes all of them, so throughput grows with load instead of with fsyncs.
#include <caf/all.hpp>

#include "actors/node_context.hpp"

namespace bulwark::actors {

// Largest number of append jobs in one WriteBatch; more wait for the next flush.
inline constexpr std::size_t append_jobs_per_batch_max = 1024;

caf::behavior journal_writer(caf::event_based_actor* self, NodeContext* context);

}  // namespace bulwark::actors
