// An application opens its manager from the same configuration file as
// `xatm`: the node, the decision log and the options all come from it.
#include "xatm/open_from_config.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <filesystem>

#include "tests/unit/run_process.h"
#include "xatm/config.h"

namespace xatm {
namespace {

// Resources are only described: nothing here connects to a server.
std::string ConfigText(const std::string& log_dir) {
  return "node = app1\nlog_dir = " + log_dir +
         "\ngrace_period = 8\n"
         "[resource.pg]\ntype = postgresql\n"
         "conninfo = host=127.0.0.1 port=1 dbname=none\n"
         "[resource.my]\ntype = mysql\nuser = u\ndatabase = d\n";
}

TEST(OpenFromConfigTest, ApplicationOpensTheManagerTheFileDescribes) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() + "/xatm.ini", ConfigText("log"));
  Result<Config> config = LoadConfig(dir.path() + "/xatm.ini");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_TRUE(CreateDecisionLog(*config).ok());  // what `xatm init` does

  OpenOptions open;
  open.metrics_registry = std::make_shared<prometheus::Registry>();
  Result<std::unique_ptr<TransactionManager>> tm =
      OpenTransactionManager(*config, open);
  ASSERT_TRUE(tm.ok()) << tm.status().ToString();

  EXPECT_EQ((*tm)->node_id(), "app1");
  // The log the file names (relative to the file), where `xatm recover`
  // with the same file looks.
  EXPECT_EQ((*tm)->options().log_dir, dir.path() + "/log");
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/log"));
  // Decided within half the grace period, as the CLI's manager is.
  EXPECT_EQ((*tm)->options().decision_deadline_ms, 4000);
  ASSERT_EQ((*tm)->resources().size(), 2u);
  EXPECT_EQ((*tm)->resources()[0]->name(), "pg");
  EXPECT_EQ((*tm)->resources()[1]->name(), "my");
  // The application's registry holds the manager's metrics.
  bool counted = false;
  for (const auto& family : open.metrics_registry->Collect()) {
    counted = counted || family.name == "xatm_transactions_total";
  }
  EXPECT_TRUE(counted) << "no xatm_transactions_total in the registry";
}

TEST(OpenFromConfigTest, WithoutInitTheLogIsNotMadeBehindTheOperatorsBack) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() + "/xatm.ini", ConfigText("log"));
  Result<Config> config = LoadConfig(dir.path() + "/xatm.ini");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  Result<std::unique_ptr<TransactionManager>> tm =
      OpenTransactionManager(*config);
  ASSERT_FALSE(tm.ok());
  EXPECT_EQ(tm.status().code(), StatusCode::kFailedPrecondition)
      << tm.status().ToString();
  EXPECT_NE(tm.status().message().find(dir.path() + "/log"), std::string::npos)
      << tm.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/log/LOCK"));
}

}  // namespace
}  // namespace xatm
