#include "tests/crash/node_cluster.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

namespace xatm::crash {

const std::string& NodeProcessBinary() {
  static const std::string path = XATM_NODE_PROCESS_BINARY;
  return path;
}

NodeOutcomes ParseOutcomes(const std::string& stdout_text) {
  NodeOutcomes outcomes;
  std::istringstream in(stdout_text);
  for (std::string line; std::getline(in, line);) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    outcomes.gtrids[line.substr(0, space)].insert(line.substr(space + 1));
    ++outcomes.lines;
  }
  return outcomes;
}

NodeCluster::~NodeCluster() {
  for (Member& m : members_) {
    if (m.ended) continue;
    // A stopped child must run again to die of SIGKILL promptly, and a
    // node left stopped would hold its row locks for good.
    ::kill(m.child->pid(), SIGCONT);
  }
  // Child's destructor kills and reaps; the TestNode sweeps after a failure.
  for (Member& m : members_) m.child.reset();
}

int NodeCluster::Start(const std::string& tag,
                       const std::vector<AccountRef>& accounts,
                       const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env) {
  Member m;
  m.node = std::make_unique<TestNode>(NewNodeId(tag), settings_);
  m.node->AddTopLevelLines(top_lines_);
  std::string list;
  for (const AccountRef& a : accounts) {
    list += (list.empty() ? "" : ",") + a.ToString();
  }
  std::vector<std::string> argv = {NodeProcessBinary(), "--config",
                                   m.node->config_path(), "--accounts", list};
  argv.insert(argv.end(), args.begin(), args.end());
  m.child = Child::Start(argv, env);
  const bool started =
      m.child->WaitForStderr("xatm_node_process: started", 30000);
  members_.push_back(std::move(m));
  const int index = size() - 1;
  if (!started) {
    Member& failed = members_.back();
    failed.exit = failed.child->Wait(5000);
    failed.ended = true;
    failed.ended_at = Clock::now();
    ADD_FAILURE() << "node " << failed.node->id()
                  << " did not start: " << failed.exit.Describe();
    return -1;
  }
  return index;
}

void NodeCluster::NoteEnd(Member& m) {
  m.ended = true;
  m.ended_at = Clock::now();
  m.exit = m.child->Wait(0);
}

void NodeCluster::Pump(int ms) {
  int running = 0;
  for (const Member& m : members_) running += m.ended ? 0 : 1;
  const int slice = running == 0 ? 0 : std::max(1, ms / running);
  for (Member& m : members_) {
    if (!m.ended && !m.child->Running(slice)) NoteEnd(m);
  }
}

bool NodeCluster::WaitForEnd(int i, int timeout_ms) {
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!(*this)[i].ended && Clock::now() < deadline) Pump(20);
  return (*this)[i].ended;
}

void NodeCluster::PumpFor(int ms) {
  const Clock::time_point end = Clock::now() + std::chrono::milliseconds(ms);
  while (Clock::now() < end) Pump(20);
}

void NodeCluster::Signal(int i, int signal) {
  Member& m = (*this)[i];
  if (!m.ended) ::kill(m.child->pid(), signal);
}

void NodeCluster::StopAll(int timeout_ms) {
  for (Member& m : members_) {
    if (!m.ended) ::kill(m.child->pid(), SIGTERM);
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (Member& m : members_) {
    if (m.ended) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    m.exit =
        m.child->Wait(static_cast<int>(std::max<int64_t>(0, left.count())));
    m.ended = true;
    m.ended_at = Clock::now();
  }
}

}  // namespace xatm::crash
