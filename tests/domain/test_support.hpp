#pragma once
// Shared fixtures for the domain tests. A Tenant runs commands through decide() and folds the
// resulting events with apply(), numbering them like the journal does, so every "given" state in
// a test is built from real events.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "domain/decide.hpp"
#include "domain/events.hpp"
#include "domain/state.hpp"
#include "domain/time.hpp"

namespace bulwark::domain::testing {

// Parses an RFC 3339 instant or throws, so a typo in a test fails loudly.
inline TimePoint at(const std::string& text) {
  auto parsed = parse_rfc3339(text);
  if (!parsed) throw std::invalid_argument("test instant is not RFC 3339: " + text);
  return *parsed;
}

inline std::string code_of(const Decision& decision) {
  return decision.rejection ? to_string(decision.rejection->code) : "accepted";
}

inline std::vector<std::string> type_names(const std::vector<EventData>& events) {
  std::vector<std::string> names;
  for (const auto& event : events) names.emplace_back(type_name(type_of(event)));
  return names;
}

inline std::string payload_hash(char digit) { return std::string(64, digit); }

struct Tenant {
  TenantState state;
  std::vector<Event> journal;
  std::string principal = "alice";

  // Decides the command at `now`, appends and applies the events (also those that come with a
  // rejection, as the tenant actor does) and returns the decision.
  Decision run(const Command& command, TimePoint now) {
    Decision decision = decide(state, command, now);
    for (const auto& data : decision.events) {
      Event event;
      event.seq = state.last_seq + 1;
      event.ts = now;
      event.principal = principal;
      event.causation_id = "test";
      event.data = data;
      apply(state, event);
      journal.push_back(event);
    }
    return decision;
  }

  // Runs a command that the test's "given" part expects to succeed.
  void given(const Command& command, TimePoint now) {
    Decision decision = run(command, now);
    if (decision.rejection) {
      throw std::logic_error("given command was rejected: " + code_of(decision) + ": " +
                             decision.rejection->message);
    }
  }

  DayTotals day(const std::string& budget_day) const {
    auto it = state.days.find(budget_day);
    return it == state.days.end() ? DayTotals{} : it->second;
  }

  const Reservation& reservation(const std::string& id) const { return state.reservations.at(id); }
  const Action& action(const std::string& id) const { return state.actions.at(id); }
};

inline SetBudget budget(MinorUnits limit, const std::string& zone = "UTC") {
  return SetBudget{limit, "USD", zone};
}

inline ProposeAction propose(const std::string& id, const std::string& kind, MinorUnits amount,
                             char hash_digit = 'a') {
  ProposeAction command;
  command.action_id = id;
  command.kind = kind;
  command.amount_minor = amount;
  command.payload = {{"supplier", "acme"}, {"quantity", 10}};
  command.payload_sha256 = payload_hash(hash_digit);
  return command;
}

}  // namespace bulwark::domain::testing
