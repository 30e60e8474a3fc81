// minirabbit/handlers/tx_class.cpp
//
// CONCEPT: AMQP transactions, the older of AMQP's two answers to "did the broker take it?".
//
// The tx class: AMQP transactions. After tx.select, publishes and acks on the channel are held back
// and take effect together at tx.commit (or are dropped by tx.rollback). They are atomic only in that
// sense - RabbitMQ's are no stronger - and slow; publisher confirms are the modern way to be sure.
// A commit that includes persistent messages for durable queues is answered only after the journal
// has them on disk.
//
//   tx.select ──▶ publish, publish, ack ──▶ held in the channel ──▶ tx.commit ──▶ all applied
//                                                              └─▶ tx.rollback ──▶ all dropped
// READ NEXT: confirm_class.cpp (the lighter alternative), core/channel.hpp.
#include "amqp_error.hpp"
#include "core/channel.hpp"
#include "core/connection.hpp"
#include "model/broker.hpp"

namespace minirabbit {

using namespace amqp;

// tx.select: the channel becomes transactional for the rest of its life (the spec has no way back).
// Confirm mode and tx mode exclude each other, as in RabbitMQ: both answer "is it safe?", in two
// incompatible ways.
void Channel::handle_tx_select(MethodReader&) {
    if (confirm_mode_) throw soft_error(precondition_failed, "cannot switch from confirm to tx mode");
    tx_mode_ = true;
    send_ok(tx_select_ok);
}

// tx.commit: apply the held publishes and settlements in order, then answer - after the journal's
// fsync when a persistent message for a durable queue was among them, so commit-ok means durable.
void Channel::handle_tx_commit(MethodReader&) {
    if (!tx_mode_) throw soft_error(precondition_failed, "channel is not transactional");
    // Validate the settlements before applying anything, so a bad tag fails the whole commit.
    for (const TxSettle& s : tx_settles_) {
        if (!outstanding(s.tag, s.multiple)) {
            tx_publishes_.clear();
            tx_settles_.clear();
            throw soft_error(precondition_failed, "unknown delivery tag {}", s.tag);
        }
    }
    bool needs_sync = false;
    for (const TxPublish& p : tx_publishes_) {
        publish(p.message, p.mandatory, p.message->exchange());
        needs_sync = needs_sync || p.message->persistent();
    }
    // A settle whose tags an earlier entry of the same commit already settled is fine.
    for (const TxSettle& s : tx_settles_)
        if (outstanding(s.tag, s.multiple)) settle(s.tag, s.multiple, s.ack, s.requeue);
    tx_publishes_.clear();
    tx_settles_.clear();
    MessageStore* store = connection_.broker().store();
    if (needs_sync && store && store->synced() < store->appended()) {
        tx_commit_pending_ = true;
        tx_commit_needs_synced_ = store->appended();
        return;
    }
    send_ok(tx_commit_ok);
}

void Channel::hold_for_commit(TxSettle settle) {
    // Each valid settlement covers at least one outstanding delivery, so a transaction never needs
    // more of them than there are: more means a bad tag, and must not grow memory without bound.
    if (tx_settles_.size() >= unacked_live_)
        throw soft_error(precondition_failed, "unknown delivery tag {}", settle.tag);
    tx_settles_.push_back(settle);
}

// tx.rollback: forget what was held. Deliveries already sent stay unacked - a rollback undoes the
// channel's publishes and acks, not what the broker already handed out.
void Channel::handle_tx_rollback(MethodReader&) {
    if (!tx_mode_) throw soft_error(precondition_failed, "channel is not transactional");
    tx_publishes_.clear();
    tx_settles_.clear();
    send_ok(tx_rollback_ok);
}

}  // namespace minirabbit
