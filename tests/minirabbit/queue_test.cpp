// Queues in the model alone (no sockets): FIFO, round-robin, credit, requeue position, TTL with an
// injected clock, overflow, dead-lettering with x-death, priorities, exchange routing.
#include "model/queue.hpp"

#include <gtest/gtest.h>

#include "model/broker.hpp"
#include "protocol/content_header.hpp"

using namespace minirabbit;

namespace {

// A ConsumerOwner that records deliveries and grants credit on demand.
struct FakeChannel final : ConsumerOwner {
    bool open = true;
    std::vector<std::pair<std::string, QueuedMessage>> delivered;
    bool can_deliver(const Consumer& c) const override {
        return open && (c.prefetch_count == 0 || c.unacked < c.prefetch_count);
    }
    void deliver(Consumer& c, Queue&, QueuedMessage m) override { delivered.emplace_back(c.tag, std::move(m)); }
    void cancelled_by_queue(Consumer&) override {}
    std::vector<std::string> bodies() const {
        std::vector<std::string> out;
        for (const auto& [tag, m] : delivered) out.emplace_back(m.message->body());
        return out;
    }
};

std::string properties(uint8_t priority = 0, std::string_view expiration = {}) {
    amqp::BasicProperties p;
    if (priority) p.flags |= amqp::prop::priority, p.priority = priority;
    if (!expiration.empty()) p.flags |= amqp::prop::expiration, p.expiration = expiration;
    mb::ByteBuffer out;
    amqp::encode_properties(out, p);
    return std::string(out.readable());
}

struct QueueTest : ::testing::Test {
    int64_t now = 1000;
    Broker broker{[this] { return now; }};
    Vhost& vhost = broker.add_vhost("/");

    Queue& declare(const std::string& name, amqp::FieldTable args = {}) {
        std::string bad, error;
        auto parsed = QueueArguments::parse(args, bad, error);
        EXPECT_TRUE(parsed) << bad << ": " << error;
        return vhost.add_queue(std::make_shared<Queue>(vhost, name, false, false, false, args, *parsed, 0));
    }
    MessageRef message(std::string_view body, uint8_t priority = 0, std::string_view routing_key = "rk") {
        std::string props = properties(priority);
        return Message::make(Message::Fields{"", routing_key, props, body, false, priority, -1});
    }
    Consumer consumer(FakeChannel& owner, std::string tag, uint16_t prefetch = 0) {
        Consumer c;
        c.tag = std::move(tag);
        c.owner = &owner;
        c.prefetch_count = prefetch;
        return c;
    }
};

}  // namespace

TEST_F(QueueTest, CompetingConsumersAreServedRoundRobinInFifoOrder) {
    Queue& q = declare("work");
    for (const char* body : {"1", "2", "3", "4", "5"}) q.publish(message(body));
    FakeChannel channel;
    Consumer a = consumer(channel, "a"), b = consumer(channel, "b");
    q.add_consumer(a);
    q.add_consumer(b);
    q.dispatch();
    ASSERT_EQ(channel.delivered.size(), 5u);
    EXPECT_EQ(channel.bodies(), (std::vector<std::string>{"1", "2", "3", "4", "5"}));
    EXPECT_EQ(channel.delivered[0].first, "a");
    EXPECT_EQ(channel.delivered[1].first, "b");
    EXPECT_EQ(channel.delivered[2].first, "a");
    EXPECT_EQ(q.unacked_count(), 5u);
}

TEST_F(QueueTest, PrefetchLimitsUnackedAndAckResumes) {
    Queue& q = declare("work");
    for (const char* body : {"1", "2", "3"}) q.publish(message(body));
    FakeChannel channel;
    Consumer a = consumer(channel, "a", 1);
    q.add_consumer(a);
    q.dispatch();
    ASSERT_EQ(channel.delivered.size(), 1u);
    q.ack(channel.delivered[0].second);
    --a.unacked;
    q.dispatch();
    EXPECT_EQ(channel.bodies(), (std::vector<std::string>{"1", "2"}));
    EXPECT_EQ(q.ready_count(), 1u);
}

TEST_F(QueueTest, RequeuedMessagesGoBackToTheirPositionMarkedRedelivered) {
    Queue& q = declare("work");
    for (const char* body : {"1", "2", "3"}) q.publish(message(body));
    auto first = q.get();
    auto second = q.get();
    q.requeue(std::move(*second));
    q.requeue(std::move(*first));
    std::vector<std::string> order;
    while (auto m = q.get()) {
        order.emplace_back(m->message->body());
        EXPECT_EQ(m->redelivered, order.back() != "3");
    }
    EXPECT_EQ(order, (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(QueueTest, MessageTtlExpiresOnTheInjectedClock) {
    amqp::FieldTable args;
    args.set("x-message-ttl", amqp::FieldValue{int32_t{100}});
    Queue& q = declare("short-lived", args);
    q.publish(message("old"));
    now += 60;
    q.publish(message("young"));
    now += 50;  // "old" is 110 ms old, "young" 50 ms
    q.expire_messages();
    ASSERT_EQ(q.ready_count(), 1u);
    EXPECT_EQ(q.get()->message->body(), "young");
}

TEST_F(QueueTest, PerMessageExpirationAndQueueTtlTakeTheShorter) {
    amqp::FieldTable args;
    args.set("x-message-ttl", amqp::FieldValue{int32_t{1000}});
    Queue& q = declare("q", args);
    std::string props = properties(0, "10");
    q.publish(Message::make(Message::Fields{"", "q", props, "m", false, 0, 10}));
    now += 11;
    q.expire_messages();
    EXPECT_EQ(q.ready_count(), 0u);
}

TEST_F(QueueTest, DropHeadKeepsTheNewestAndDeadLettersTheOldestWithXDeath) {
    Queue& dead = declare("dead");
    vhost.find_exchange("amq.fanout")->bind(Binding{"", {}, &dead, nullptr});
    amqp::FieldTable args;
    args.set("x-max-length", amqp::FieldValue{int64_t{2}});
    args.set("x-dead-letter-exchange", amqp::FieldValue{"amq.fanout"});
    Queue& q = declare("bounded", args);
    for (const char* body : {"1", "2", "3"}) q.publish(message(body));
    EXPECT_EQ(q.ready_count(), 2u);
    EXPECT_EQ(q.get()->message->body(), "2");
    ASSERT_EQ(dead.ready_count(), 1u);
    auto letter = dead.get();
    EXPECT_EQ(letter->message->body(), "1");
    auto props = amqp::decode_properties(letter->message->properties());
    auto headers = amqp::decode_headers(*props);
    const auto* deaths = headers->find("x-death")->array();
    ASSERT_EQ(deaths->size(), 1u);
    const amqp::FieldTable& death = *(*deaths)[0].table();
    EXPECT_EQ(*death.find("reason")->string(), "maxlen");
    EXPECT_EQ(*death.find("queue")->string(), "bounded");
    EXPECT_EQ(death.find("count")->integer(), 1);
    EXPECT_EQ(*headers->find("x-first-death-reason")->string(), "maxlen");
}

TEST_F(QueueTest, RejectPublishRefusesTheNewest) {
    amqp::FieldTable args;
    args.set("x-max-length", amqp::FieldValue{int64_t{1}});
    args.set("x-overflow", amqp::FieldValue{"reject-publish"});
    Queue& q = declare("bounded", args);
    EXPECT_EQ(q.publish(message("1")), Queue::PublishResult::enqueued);
    EXPECT_EQ(q.publish(message("2")), Queue::PublishResult::rejected);
    EXPECT_EQ(q.get()->message->body(), "1");
}

TEST_F(QueueTest, HigherPriorityGoesFirstFifoWithinALevel) {
    amqp::FieldTable args;
    args.set("x-max-priority", amqp::FieldValue{int32_t{5}});
    Queue& q = declare("prio", args);
    q.publish(message("low-1", 1));
    q.publish(message("high", 9));  // above the maximum: counts as 5
    q.publish(message("low-2", 1));
    q.publish(message("mid", 3));
    std::vector<std::string> order;
    while (auto m = q.get()) order.emplace_back(m->message->body());
    EXPECT_EQ(order, (std::vector<std::string>{"high", "mid", "low-1", "low-2"}));
}

TEST_F(QueueTest, ExpiredMessagesCycleBetweenQueuesOnlyOnce) {
    // a --expired--> b --expired--> a would loop forever; RabbitMQ drops the cycle.
    amqp::FieldTable a_args, b_args;
    a_args.set("x-message-ttl", amqp::FieldValue{int32_t{10}});
    a_args.set("x-dead-letter-exchange", amqp::FieldValue{""});
    a_args.set("x-dead-letter-routing-key", amqp::FieldValue{"b"});
    b_args.set("x-message-ttl", amqp::FieldValue{int32_t{10}});
    b_args.set("x-dead-letter-exchange", amqp::FieldValue{""});
    b_args.set("x-dead-letter-routing-key", amqp::FieldValue{"a"});
    Queue& a = declare("a", a_args);
    Queue& b = declare("b", b_args);
    a.publish(message("m"));
    now += 20;
    a.expire_messages();
    EXPECT_EQ(b.ready_count(), 1u);
    now += 20;
    b.expire_messages();
    EXPECT_EQ(a.ready_count(), 0u);
    EXPECT_EQ(b.ready_count(), 0u);
}

TEST_F(QueueTest, BadArgumentsAreRejectedWithRabbitMQsReason) {
    std::string bad, error;
    amqp::FieldTable args;
    args.set("x-message-ttl", amqp::FieldValue{int32_t{-1}});
    EXPECT_FALSE(QueueArguments::parse(args, bad, error));
    EXPECT_EQ(bad, "x-message-ttl");
    EXPECT_EQ(error, "{value_negative,-1}");
    amqp::FieldTable overflow;
    overflow.set("x-overflow", amqp::FieldValue{"explode"});
    EXPECT_FALSE(QueueArguments::parse(overflow, bad, error));
}

TEST_F(QueueTest, ExchangesRouteThroughBindingsAndExchangeToExchangeOnce) {
    Queue& q = declare("q");
    auto& direct = vhost.add_exchange(make_exchange("direct", "d", false, false, false, {}));
    auto& topic = vhost.add_exchange(make_exchange("topic", "t", false, false, false, {}));
    direct.bind(Binding{"key", {}, &q, nullptr});
    topic.bind(Binding{"#", {}, nullptr, &direct});
    topic.bind(Binding{"key", {}, &q, nullptr});
    direct.bind(Binding{"key", {}, nullptr, &topic});  // a cycle: t -> d -> t
    std::vector<Queue*> queues;
    std::string props = properties();
    vhost.route(topic, RoutingInput("key", props), queues);
    EXPECT_EQ(queues, std::vector<Queue*>{&q});  // reached twice, delivered once
    vhost.route(*vhost.find_exchange(""), RoutingInput("q", props), queues);
    EXPECT_EQ(queues, std::vector<Queue*>{&q});
    vhost.route(direct, RoutingInput("other", props), queues);
    EXPECT_TRUE(queues.empty());
}

TEST_F(QueueTest, HeadersExchangeAllAndAny) {
    Queue& all_q = declare("all");
    Queue& any_q = declare("any");
    Exchange& headers = *vhost.find_exchange("amq.headers");
    amqp::FieldTable all_args, any_args;
    all_args.set("x-match", amqp::FieldValue{"all"});
    all_args.set("format", amqp::FieldValue{"pdf"});
    all_args.set("type", amqp::FieldValue{"report"});
    any_args = all_args;
    any_args.set("x-match", amqp::FieldValue{"any"});
    headers.bind(Binding{"", all_args, &all_q, nullptr});
    headers.bind(Binding{"", any_args, &any_q, nullptr});
    auto route = [&](amqp::FieldTable message_headers) {
        amqp::BasicProperties p;
        p.flags = amqp::prop::headers;
        mb::ByteBuffer encoded;
        amqp::encode_properties(encoded, p, &message_headers);
        std::vector<Queue*> queues;
        vhost.route(headers, RoutingInput("", encoded.readable()), queues);
        return queues;
    };
    amqp::FieldTable both;
    both.set("format", amqp::FieldValue{"pdf"});
    both.set("type", amqp::FieldValue{"report"});
    EXPECT_EQ(route(both).size(), 2u);
    amqp::FieldTable one;
    one.set("format", amqp::FieldValue{"pdf"});
    EXPECT_EQ(route(one), std::vector<Queue*>{&any_q});
    EXPECT_TRUE(route({}).empty());
}

// Issue 24: the tick visits only queues with work due (model/deadline_index.hpp). 2,000 idle
// queues beside one with a TTL and one with x-expires: each tick visits at most those two, and
// still expires the message and deletes the unused queue on time. (Before, every tick visited all
// 2,002.) Counted, not timed.
TEST_F(QueueTest, TheTickVisitsOnlyQueuesWithADeadline) {
    for (int i = 0; i < 2000; ++i) declare("idle-" + std::to_string(i)).publish(message("waits"));
    amqp::FieldTable ttl;
    ttl.set("x-message-ttl", amqp::FieldValue{int32_t{100}});
    Queue& short_lived = declare("ttl", ttl);
    amqp::FieldTable expires;
    expires.set("x-expires", amqp::FieldValue{int32_t{300}});
    declare("expires", expires);
    short_lived.publish(message("old"));
    now += 60;
    short_lived.publish(message("young"));
    size_t visited = 0;
    for (int step = 0; step < 10; ++step) {  // 50 ms apart, like the server's tick: 500 ms in all
        now += 50;
        visited += vhost.tick();
        if (step == 0) {
            EXPECT_EQ(short_lived.ready_count(), 1u);  // "old" is 110 ms old, "young" 50
        }
    }
    EXPECT_EQ(short_lived.ready_count(), 0u);         // both expired through the tick alone
    EXPECT_EQ(vhost.find_queue("expires"), nullptr);  // unused past x-expires: deleted by the tick
    EXPECT_NE(vhost.find_queue("idle-1999"), nullptr);
    EXPECT_LE(visited, 4u);  // "ttl" at each of its two messages' expiry, "expires" once; never the idle ones
    EXPECT_GE(visited, 2u);
}

// The hash index and the ordered map stay in step: a deleted queue is gone from lookups and
// listings, a redeclared one is found again, and listings stay sorted by name.
TEST_F(QueueTest, LookupsAndListingsAgreeAfterDeletes) {
    for (const char* name : {"b", "a", "c"}) declare(name);
    vhost.delete_queue(*vhost.find_queue("b"));
    EXPECT_EQ(vhost.find_queue("b"), nullptr);
    Queue& again = declare("b");
    EXPECT_EQ(vhost.find_queue("b"), &again);
    std::vector<std::string> listed;
    for (const auto& [name, queue] : vhost.queues()) listed.push_back(name);
    EXPECT_EQ(listed, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_NE(vhost.find_exchange("amq.topic"), nullptr);
    EXPECT_EQ(vhost.find_exchange("amq.nothing"), nullptr);
}

// Publishing to 10,000 queues in turn lands on a queue nobody touched recently every time, so
// what a publish costs is the number of cache lines (and pages) of the queue it reads. The fields
// it uses sit together at the front of the object, the lowest priority level included: at most
// four cache lines, no separate block. Before, they were spread over ~900 bytes with the settings
// in between, and the level lived in a vector of its own on the heap.
TEST_F(QueueTest, APublishTouchesFewCacheLinesOfTheQueue) {
    Queue& plain = declare("plain");
    auto span = plain.publish_hot_span();
    EXPECT_TRUE(span.inside);
    EXPECT_LE(span.bytes, 4 * 64u);
    // Priorities (levels above the lowest, in their own vector) and limits take the cold path.
    amqp::FieldTable args;
    args.set("x-max-priority", amqp::FieldValue{int32_t{3}});
    Queue& ranked = declare("ranked", args);
    for (int p : {0, 3, 1, 3}) ranked.publish(message(std::to_string(p), static_cast<uint8_t>(p)));
    amqp::FieldTable two;
    two.set("x-max-length", amqp::FieldValue{int32_t{2}});
    Queue& bounded = declare("bounded", two);
    for (const char* body : {"a", "b", "c"}) bounded.publish(message(body));
    FakeChannel channel;
    Consumer c1 = consumer(channel, "c1"), c2 = consumer(channel, "c2");
    ranked.add_consumer(c1);
    ranked.dispatch();
    bounded.add_consumer(c2);
    bounded.dispatch();
    EXPECT_EQ(channel.bodies(), (std::vector<std::string>{"3", "3", "1", "0", "b", "c"}));
}
