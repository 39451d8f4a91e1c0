#include "adapters/postgres/pg_error.h"

#include <gtest/gtest.h>

namespace xatm {
namespace {

TEST(PgErrorTest, ConnectionExceptionClassIsUnavailable) {
  EXPECT_EQ(StatusCodeForSqlState("08006"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("08P01"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("57P01"), StatusCode::kUnavailable);
}

TEST(PgErrorTest, RetryableConflictsAreAborted) {
  EXPECT_EQ(StatusCodeForSqlState("40001"), StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("40P01"), StatusCode::kAborted);
  EXPECT_EQ(StatusCodeForSqlState("55P03"), StatusCode::kAborted);
}

TEST(PgErrorTest, DuplicatesAreAlreadyExistsNotRetryTheTransaction) {
  // The same transaction run again meets the same key.
  EXPECT_EQ(StatusCodeForSqlState("23505"), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlState("42P07"), StatusCode::kAlreadyExists);
  EXPECT_EQ(StatusCodeForSqlState("42710"), StatusCode::kAlreadyExists);
}

TEST(PgErrorTest, OtherIntegrityViolationsAreFailedPrecondition) {
  EXPECT_EQ(StatusCodeForSqlState("23503"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("23502"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("23514"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("P0001"), StatusCode::kFailedPrecondition);
}

TEST(PgErrorTest, UndefinedObjectIsNotFoundOnlyForAPreparedTransaction) {
  EXPECT_EQ(StatusCodeForSqlState("42704", PgStatementKind::kFinishPrepared),
            StatusCode::kNotFound);
  // Elsewhere (a type, a sequence) the statement does not fit the schema,
  // like an unknown table or column.
  EXPECT_EQ(StatusCodeForSqlState("42704"), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("42P01"), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("42703"), StatusCode::kInvalidArgument);
}

TEST(PgErrorTest, ReadOnlyTransactionAndPrivilegesAreFailedPrecondition) {
  EXPECT_EQ(StatusCodeForSqlState("25006"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("42501"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForSqlState("28P01"), StatusCode::kFailedPrecondition);
}

TEST(PgErrorTest, SyntaxErrorIsInvalidArgument) {
  EXPECT_EQ(StatusCodeForSqlState("42601"), StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForSqlState("22P02"), StatusCode::kInvalidArgument);
}

TEST(PgErrorTest, ServerInternalOrMalformedSqlStateIsInternal) {
  EXPECT_EQ(StatusCodeForSqlState("XX000"), StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForSqlState(""), StatusCode::kInternal);
}

TEST(PgErrorTest, ServerResourceErrorsAreUnavailable) {
  EXPECT_EQ(StatusCodeForSqlState("53100"), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForSqlState("58030"), StatusCode::kUnavailable);
}

TEST(PgErrorTest, OnlySessionEndingStatesEndTheSession) {
  EXPECT_TRUE(SqlStateEndsSession("08006"));
  EXPECT_TRUE(SqlStateEndsSession("57P01"));
  EXPECT_FALSE(SqlStateEndsSession("23514"));
  EXPECT_FALSE(SqlStateEndsSession("57014"));  // statement cancelled only
}

TEST(PgErrorTest, MessageKeepsContextSqlStateAndServerText) {
  Status status =
      PgErrorStatus(PgContext("pg", "COMMIT PREPARED"), "42704",
                    "prepared transaction with identifier \"x\" does not exist",
                    PgStatementKind::kFinishPrepared);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(),
            "postgresql resource 'pg': COMMIT PREPARED: 42704 prepared "
            "transaction with identifier \"x\" does not exist");
}

TEST(PgErrorTest, DisabledPreparedTransactionsGetAHint) {
  Status status =
      PgErrorStatus("ctx", "55000", "prepared transactions are disabled");
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("max_prepared_transactions > 0"),
            std::string::npos);
}

TEST(PgErrorTest, BusyGidWhileFinishingAPreparedTransactionIsUnavailable) {
  // Another session is committing or rolling back the same gid right now:
  // retry later; the gid may yet turn out finished (42704) or still there.
  Status status =
      PgErrorStatus(PgContext("pg", "COMMIT PREPARED"), "55000",
                    "prepared transaction with identifier \"x\" is busy",
                    PgStatementKind::kFinishPrepared);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_NE(status.message().find("55000"), std::string::npos);
  EXPECT_EQ(StatusCodeForSqlState("55000", PgStatementKind::kFinishPrepared),
            StatusCode::kUnavailable);
  // The rest of COMMIT/ROLLBACK PREPARED's answers keep their meaning.
  EXPECT_EQ(StatusCodeForSqlState("42704", PgStatementKind::kFinishPrepared),
            StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForSqlState("42501", PgStatementKind::kFinishPrepared),
            StatusCode::kFailedPrecondition);
}

TEST(PgErrorTest, PreparedTransactionsDisabledAtPrepareStaysAFailure) {
  // 55000 at PREPARE TRANSACTION: max_prepared_transactions = 0, which no
  // retry fixes (a no vote).
  EXPECT_EQ(StatusCodeForSqlState("55000"), StatusCode::kFailedPrecondition);
  EXPECT_EQ(PgErrorStatus("ctx", "55000", "prepared transactions are disabled",
                          PgStatementKind::kOther)
                .code(),
            StatusCode::kFailedPrecondition);
}

TEST(PgErrorTest, ConnectFailureKeepsLibpqsNetworkAndServerMessages) {
  EXPECT_EQ(ConnectErrorMessage(
                "connection to server at \"127.0.0.1\", port 1 failed: "
                "Connection refused\n\tIs the server running on that host "
                "and accepting TCP/IP connections?\n"),
            "connection to server at \"127.0.0.1\", port 1 failed: "
            "Connection refused; Is the server running on that host and "
            "accepting TCP/IP connections?");
  EXPECT_EQ(ConnectErrorMessage("could not translate host name \"db.x\" to "
                                "address: Name or service not known\n"),
            "could not translate host name \"db.x\" to address: Name or "
            "service not known");
}

TEST(PgErrorTest, ConnectFailureWithholdsConninfoParseAndOptionMessages) {
  // They quote tokens of the conninfo string, where a password typed in the
  // wrong place would be.
  for (const char* message :
       {"missing \"=\" after \"s3cret\" in connection info string\n",
        "invalid connection option \"s3cret\"\n",
        "invalid port number: \"s3cret\"\n",
        "invalid sslmode value: \"s3cret\"\n",
        "invalid percent-encoded token: \"s3cret\"\n", ""}) {
    const std::string shown = ConnectErrorMessage(message);
    EXPECT_EQ(shown.find("s3cret"), std::string::npos) << shown;
    EXPECT_NE(shown.find("conninfo"), std::string::npos) << shown;
  }
}

TEST(PgErrorTest, ConnectionLostIsUnavailableAndOneLine) {
  Status status = PgConnectionLostStatus(
      "ctx", "",
      "server closed the connection unexpectedly\n\tThis probably "
      "means the server terminated abnormally\n");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(status.message().find('\n'), std::string::npos);
  EXPECT_NE(status.message().find("connection lost"), std::string::npos);
}

TEST(PgErrorTest, OneLineJoinsTrimmedLines) {
  EXPECT_EQ(OneLine("server closed the connection unexpectedly\n\tThis "
                    "probably means\n\tbefore or while\n"),
            "server closed the connection unexpectedly; This probably means; "
            "before or while");
  EXPECT_EQ(OneLine("plain"), "plain");
  EXPECT_EQ(OneLine(""), "");
}

}  // namespace
}  // namespace xatm
