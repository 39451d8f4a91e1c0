// The statements of a transfer, shared by the two-phase transfer
// (transfer.cc) and the saga (saga_transfer.cc). '?' placeholders; amounts
// bound as text and cast: exact decimals in both dialects.
#pragma once

namespace xatm::transfer_sql {

// The balance check sits in the UPDATE itself, so a concurrent debit cannot
// slip between a read and the write.
inline constexpr char kDebit[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ? AND balance >= CAST(? AS DECIMAL(20,2))";
// A debit that must happen (a saga's undo of a credit): no funds check.
inline constexpr char kDebitUnchecked[] =
    "UPDATE xatm_accounts SET balance = balance - CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
inline constexpr char kCredit[] =
    "UPDATE xatm_accounts SET balance = balance + CAST(? AS DECIMAL(20,2)) "
    "WHERE id = ?";
inline constexpr char kExists[] = "SELECT id FROM xatm_accounts WHERE id = ?";
inline constexpr char kLedger[] =
    "INSERT INTO xatm_ledger (gtrid, branch, account, delta) "
    "VALUES (?, ?, ?, CAST(? AS DECIMAL(20,2)))";
inline constexpr char kLedgerUndo[] =
    "DELETE FROM xatm_ledger WHERE gtrid = ? AND account = ?";

}  // namespace xatm::transfer_sql
