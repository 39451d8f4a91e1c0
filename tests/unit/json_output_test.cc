// The pieces behind --json: the error document, the writer, the flag, and
// what a transfer's answer becomes (text line, JSON document, exit code),
// including the outcomes a test against real servers cannot easily cause.
#include "cli/json_output.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/command.h"
#include "cli/commands/transfer_outcome.h"

namespace xatm {
namespace {

constexpr char kGtrid[] = "xatm:n1:1700000000000:0123456789abcdef";

TransferResult Answer(Status status) { return {kGtrid, std::move(status)}; }

Json TransferJsonOf(const Status& status) {
  return TransferJson(Answer(status), {"pg", "alice"}, {"my", "bob"},
                      Amount::FromCents(1050));
}

TEST(JsonOutputTest, ErrorJsonKeepsWhatIsKnownFirst) {
  Json doc = ErrorJson(3, "why", Json{{"gtrid", kGtrid}});
  EXPECT_EQ(doc.dump(), std::string(R"({"gtrid":")") + kGtrid +
                            R"(","error":"why","exit_code":3})");
  EXPECT_EQ(ErrorJson(2, "bad").dump(), R"({"error":"bad","exit_code":2})");
}

TEST(JsonOutputTest, WriteJsonIsOneLineAndSurvivesBytesThatAreNotUtf8) {
  std::ostringstream out;
  WriteJson(out, Json{{"detail", "line\nbreak \xff\xfe"}, {"n", 1}});
  const std::string text = out.str();
  EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  Json back = Json::parse(text);
  EXPECT_EQ(back["n"], 1);
  EXPECT_EQ(back["detail"], "line\nbreak \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(JsonOutputTest, ArgsAskForJsonOnlyBeforeTheEndOfOptions) {
  EXPECT_TRUE(ArgsAskForJson({"--config", "x.ini", "--json"}));
  EXPECT_FALSE(ArgsAskForJson({"--config", "x.ini"}));
  EXPECT_FALSE(ArgsAskForJson({"--", "--json"}));
  EXPECT_FALSE(ArgsAskForJson({"--jsonx", "-json"}));
}

TEST(TransferOutcomeTest, CommittedHasNoErrorAndMoneyAsAString) {
  EXPECT_EQ(TransferLine(Answer(Status::Ok())),
            std::string(kGtrid) + " committed");
  EXPECT_EQ(TransferJsonOf(Status::Ok()).dump(),
            std::string(R"({"gtrid":")") + kGtrid +
                R"(","outcome":"committed","from":"pg:alice",)"
                R"("to":"my:bob","amount":"10.50","protocol":"2pc"})");
  EXPECT_EQ(DescribeTransfer(Answer(Status::Ok())).exit_code, kExitOk);
}

TEST(TransferOutcomeTest, InDoubtKeepsTheGtridAndExitsThree) {
  const Status s = Status::InDoubt(std::string("xid=") + kGtrid +
                                   ": commit of my failed; recovery finishes");
  EXPECT_EQ(TransferLine(Answer(s)),
            std::string(kGtrid) +
                " in doubt: commit of my failed; recovery finishes");
  Json doc = TransferJsonOf(s);
  EXPECT_EQ(doc["gtrid"], kGtrid);
  EXPECT_EQ(doc["outcome"], "in_doubt");
  EXPECT_EQ(doc["amount"], "10.50");
  EXPECT_EQ(doc["error"], "commit of my failed; recovery finishes");
  EXPECT_EQ(doc["exit_code"], kExitInDoubt);
  EXPECT_EQ(DescribeTransfer(Answer(s)).exit_code, kExitInDoubt);
}

TEST(TransferOutcomeTest, AbortedAndUnknownOutcomes) {
  const Status aborted = Status::Aborted(std::string("xid=") + kGtrid +
                                         " insufficient funds in pg:alice");
  EXPECT_EQ(TransferLine(Answer(aborted)),
            std::string(kGtrid) + " aborted: insufficient funds in pg:alice");
  EXPECT_EQ(TransferJsonOf(aborted)["outcome"], "aborted");
  EXPECT_EQ(TransferJsonOf(aborted)["exit_code"], kExitFailed);

  const Status lost = Status::UnknownOutcome("answer lost");
  EXPECT_EQ(TransferLine(Answer(lost)),
            std::string(kGtrid) + " outcome unknown: answer lost");
  EXPECT_EQ(TransferJsonOf(lost)["outcome"], "unknown");
  EXPECT_EQ(TransferJsonOf(lost)["error"], "answer lost");
  EXPECT_EQ(TransferJsonOf(lost)["exit_code"], kExitUnknown);

  // Not an outcome Commit() documents: unknown, with the whole status.
  const Status odd = Status::Internal("odd");
  EXPECT_EQ(TransferLine(Answer(odd)),
            std::string(kGtrid) + " outcome unknown: " + odd.ToString());
  EXPECT_EQ(TransferJsonOf(odd)["outcome"], "unknown");
  EXPECT_EQ(TransferJsonOf(odd)["exit_code"], kExitUnknown);
}

TEST(TransferOutcomeTest, WithAKeySaysWhatTheKeyDid) {
  const std::optional<std::string> key = "order-17";
  TransferResult replayed = Answer(Status::Ok());
  replayed.replayed = true;
  EXPECT_EQ(TransferLine(replayed, key),
            std::string(kGtrid) +
                " committed (already done with key order-17: nothing moved "
                "now)");
  Json doc = TransferJson(replayed, {"pg", "alice"}, {"my", "bob"},
                          Amount::FromCents(1050), key);
  EXPECT_EQ(doc["key"], "order-17");
  EXPECT_EQ(doc["replayed"], true);
  EXPECT_EQ(doc["outcome"], "committed");
  EXPECT_FALSE(doc.contains("error"));

  // Held by a transaction not finished yet, whose gtrid is not known.
  TransferResult held{"", Status::InDoubt("the key is held")};
  EXPECT_EQ(TransferLine(held, key), "key order-17 in doubt: the key is held");
  Json held_doc = TransferJson(held, {"pg", "alice"}, {"my", "bob"},
                               Amount::FromCents(1050), key);
  EXPECT_TRUE(held_doc["gtrid"].is_null());
  EXPECT_EQ(held_doc["exit_code"], 3);
  EXPECT_EQ(held_doc["replayed"], false);

  // Without a key, neither member.
  EXPECT_FALSE(TransferJsonOf(Status::Ok()).contains("key"));
}

}  // namespace
}  // namespace xatm
