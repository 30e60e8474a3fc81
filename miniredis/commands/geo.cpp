// miniredis/commands/geo.cpp
//
// Geo commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE (Redis' geo.c).
//
// CONCEPT: there is no geo type. GEOADD is ZADD with the 52-bit geohash of (longitude, latitude)
// as the score (model/geohash.hpp), so a "geo set" is a sorted set: ZRANGE, ZREM, ZCARD work on
// it, TYPE says zset, and the AOF logs GEOADD as the ZADD it became.
//
//   GEOADD shops 13.361389 38.115556 palermo   ->  ZADD shops 3479099956230698 palermo
//   GEOSEARCH shops FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST
//     1. pick a square size from 200 km; the centre's square and its 8 neighbours (fewer when
//        the circle does not reach them) = at most 9 score ranges
//     2. ZRANGEBYSCORE each range [min, max), decode every candidate, keep those whose haversine
//        distance is <= 200 km (a square's corners lie outside the circle)
//     3. sort by distance if asked (COUNT implies ASC: "the nearest N"), reply or store
//
// The candidate order without ASC/DESC is the scan order - centre, N, S, E, W, NE, NW, SE, SW -
// then score order inside each square, exactly as redis-server scans, so even unsorted replies
// match it.
//
// READ NEXT: model/geohash.cpp (interleaving, neighbours, distances).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "commands/context.hpp"
#include "commands/handlers.hpp"
#include "model/geohash.hpp"
#include "protocol/numbers.hpp"

namespace miniredis {

void zadd_generic(CommandContext& ctx, bool incr);  // zsets.cpp: GEOADD ends as a ZADD

namespace {

// "lon lat" arguments, range-checked as Redis does (its error prints them with %f).
// Latitudes stop at +-85.05112878 degrees, not 90: the limits of the Web Mercator projection that
// geohash-based indexes (and Redis) use, so the poles cannot be stored.
bool lon_lat(CommandContext& ctx, size_t i, double& lon, double& lat) {
    auto x = ctx.double_arg(i);
    if (!x) return false;
    auto y = ctx.double_arg(i + 1);
    if (!y) return false;
    lon = *x;
    lat = *y;
    if (lon < geo::kLonMin || lon > geo::kLonMax || lat < geo::kLatMin || lat > geo::kLatMax) {
        ctx.reply.error(fmt::format("ERR invalid longitude,latitude pair {:f},{:f}", lon, lat));
        return false;
    }
    return true;
}

// m, km, ft, mi -> meters per unit; 0 after replying the error.
// Redis' conversion factors, including its rounded mile (1609.34 m): distances must match
// redis-server to the fourth decimal, so we copy its constants rather than use the exact ones.
double unit(CommandContext& ctx, std::string_view u) {
    if (equals_ignore_case(u, "m")) return 1;
    if (equals_ignore_case(u, "km")) return 1000;
    if (equals_ignore_case(u, "ft")) return 0.3048;
    if (equals_ignore_case(u, "mi")) return 1609.34;
    ctx.reply.error("ERR unsupported unit provided. please use M, KM, FT, MI");
    return 0;
}

// Coordinates as GEOPOS shows them: 17 decimals, trailing zeros dropped (Redis' human long double).
// Reply::double_value is not used: it prints "%.17g", which gives other digits than Redis' long
// double format, and clients and tests compare coordinates as text. So RESP3's double (",<text>")
// is written by hand with the same digits as RESP2's bulk string.
void reply_coordinate(CommandContext& ctx, double v) {
    char buf[kLongDoubleBufferSize];
    std::string_view text = format_long_double(v, buf, sizeof buf);
    if (!ctx.reply.resp3()) return ctx.reply.bulk(text);
    auto& out = ctx.reply.buffer();
    out.push_back(',');
    out.append(text);
    out.append("\r\n");
}

// Distances: 4 decimals, always a bulk string (also in RESP3, as Redis 7.0 sends them).
void reply_distance(CommandContext& ctx, double meters_in_unit) {
    ctx.reply.bulk(fmt::format("{:.4f}", meters_in_unit));
}

// A geo set is any sorted set: a key of another type answers WRONGTYPE, while a sorted set whose
// scores are not geohashes (ZADD k 1 a) is decoded anyway and gives meaningless coordinates - Redis
// cannot tell either, since nothing marks a sorted set as "geo".
ZSet* read_geo(CommandContext& ctx, std::string_view key, bool& ok) {
    return ctx.existing(ctx.lookup_read(key), &CommandContext::as_zset, ok);
}

// One candidate that passed the shape test: its member, its score (the 52-bit geohash, replied by
// WITHHASH and stored by GEOSEARCHSTORE), its decoded position and its distance from the centre.
struct Point {
    std::string_view member;
    double score, lon, lat, dist;
};

// GEOSEARCH key FROMMEMBER m | FROMLONLAT lon lat  BYRADIUS r unit | BYBOX w h unit
//           [ASC|DESC] [COUNT n [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]
// GEOSEARCHSTORE dest src ... [STOREDIST]. Exactly one centre and one shape; the older GEORADIUS
// and GEORADIUSBYMEMBER are left out (deprecated since 6.2; docs/miniredis/03-left-out-and-exercises.md).
void search_generic(CommandContext& ctx, bool store) {
    size_t key_at = store ? 2 : 1;
    bool ok;
    ZSet* z = read_geo(ctx, ctx.arg(key_at), ok);
    if (!ok) return;
    geo::Shape shape;
    bool with_dist = false, with_hash = false, with_coord = false, any = false, store_dist = false;
    bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
    enum { none, asc, desc } sort = none;
    int64_t count = 0;
    size_t base = key_at + 1;
    for (size_t i = base; i < ctx.argc(); ++i) {
        std::string_view arg = ctx.arg(i);
        size_t left = ctx.argc() - i - 1;  // arguments after this one
        if (equals_ignore_case(arg, "WITHDIST")) {
            with_dist = true;
        } else if (equals_ignore_case(arg, "WITHHASH")) {
            with_hash = true;
        } else if (equals_ignore_case(arg, "WITHCOORD")) {
            with_coord = true;
        } else if (equals_ignore_case(arg, "ANY")) {
            any = true;
        } else if (equals_ignore_case(arg, "ASC")) {
            sort = asc;
        } else if (equals_ignore_case(arg, "DESC")) {
            sort = desc;
        } else if (equals_ignore_case(arg, "COUNT") && left >= 1) {
            auto n = ctx.int_arg(++i);
            if (!n) return;
            if (*n <= 0) return ctx.reply.error("ERR COUNT must be > 0");
            count = *n;
        } else if (store && equals_ignore_case(arg, "STOREDIST")) {
            store_dist = true;
        } else if (equals_ignore_case(arg, "FROMMEMBER") && left >= 1 && !from_lonlat) {
            from_member = true;
            ++i;
            if (!z) continue;  // no key: finish parsing, the reply is empty anyway
            // The centre is the member's decoded score - the middle of its 52-bit cell, not the exact
            // coordinates GEOADD got - and every candidate is decoded the same way, so the member
            // itself comes back at distance 0.0000, as in Redis.
            auto score = z->score(ctx.arg(i));
            if (!score) return ctx.reply.error("ERR could not decode requested zset member");
            auto xy = geo::position_of(*score);
            shape.lon = xy[0];
            shape.lat = xy[1];
        } else if (equals_ignore_case(arg, "FROMLONLAT") && left >= 2 && !from_member) {
            if (!lon_lat(ctx, i + 1, shape.lon, shape.lat)) return;
            from_lonlat = true;
            i += 2;
        } else if (equals_ignore_case(arg, "BYRADIUS") && left >= 2 && !by_box) {
            auto r = ctx.double_arg(i + 1, "ERR need numeric radius");
            if (!r) return;
            if (*r < 0) return ctx.reply.error("ERR radius cannot be negative");
            shape.radius = *r;
            if (!(shape.conversion = unit(ctx, ctx.arg(i + 2)))) return;
            shape.box = false;
            by_radius = true;
            i += 2;
        } else if (equals_ignore_case(arg, "BYBOX") && left >= 3 && !by_radius) {
            auto w = ctx.double_arg(i + 1, "ERR need numeric width");
            if (!w) return;
            auto h = ctx.double_arg(i + 2, "ERR need numeric height");
            if (!h) return;
            if (*w < 0 || *h < 0) return ctx.reply.error("ERR height or width cannot be negative");
            shape.width = *w;
            shape.height = *h;
            if (!(shape.conversion = unit(ctx, ctx.arg(i + 3)))) return;
            shape.box = true;
            by_box = true;
            i += 3;
        } else {
            return ctx.syntax_error();
        }
    }
    if (store && (with_dist || with_hash || with_coord))
        return ctx.reply.error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    if (!from_member && !from_lonlat)
        return ctx.reply.error(
            fmt::format("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}", ctx.arg(0)));
    if (!by_radius && !by_box)
        return ctx.reply.error(
            fmt::format("ERR exactly one of BYRADIUS and BYBOX can be specified for {}", ctx.arg(0)));
    // ANY: stop at the first COUNT matches found instead of finding all and keeping the nearest -
    // cheaper on a dense area, but the result is "some N close enough", not the nearest N.
    if (any && !count) return ctx.reply.error("ERR the ANY argument requires COUNT argument");

    std::string_view dest = store ? ctx.arg(1) : std::string_view();
    auto store_empty = [&] {
        if (ctx.db().remove(dest)) ctx.modified(dest);
        ctx.reply.integer(0);
    };
    if (!z) return store ? store_empty() : ctx.reply.array(0);
    // COUNT without ANY means "the nearest N": every candidate in the searched squares is found and
    // sorted, then cut - O(M log M) for M candidates however small N is. ANY trades exactness for
    // that cost. Without COUNT the order stays the scan order unless ASC/DESC is given.
    if (count && sort == none && !any) sort = asc;  // "the nearest N" needs sorting

    // Collect the candidates square by square, in Redis' order, skipping repeated squares (huge
    // radii make neighbours coincide).
    geo::SearchArea area = geo::search_area(shape);
    geo::Hash squares[9] = {area.centre};
    std::copy(area.neighbours.begin(), area.neighbours.end(), squares + 1);
    std::vector<Point> found;
    size_t limit = any ? static_cast<size_t>(count) : 0;
    int last = -1;
    for (int s = 0; s < 9; ++s) {
        // A neighbour the shape cannot reach is zeroed by search_area and skipped, so a small radius in
        // the middle of a big square costs one range query, not nine.
        if (squares[s].zero()) continue;
        if (last > 0 && squares[s].bits == squares[last].bits && squares[s].step == squares[last].step) continue;
        if (limit && found.size() >= limit) break;
        uint64_t min, max;
        geo::score_range(squares[s], min, max);
        // A square of the geohash grid is one contiguous score range [min, max): the interleaved bits put
        // nearby points at nearby scores, which is the whole trick - a 2-D search becomes at most nine
        // 1-D range walks on the skip list, each O(log n + M).
        ScoreRange range{static_cast<double>(min), static_cast<double>(max), false, true};
        for (const ZSet::Node* n = z->first_in(range); n && range.below_max(n->score); n = n->next()) {
            auto xy = geo::position_of(n->score);
            double meters;
            if (!geo::inside(shape, xy[0], xy[1], meters)) continue;
            found.push_back({n->member.view(), n->score, xy[0], xy[1], meters});
            if (limit && found.size() >= limit) break;
        }
        last = s;
    }
    // The sort is stable, so points at equal distance keep the scan order (Redis sorts with qsort,
    // which promises nothing for ties).
    if (found.empty() && !store) return ctx.reply.array(0);
    size_t returned =
        count == 0 || found.size() < static_cast<size_t>(count) ? found.size() : static_cast<size_t>(count);
    if (sort == asc)
        std::stable_sort(found.begin(), found.end(), [](const Point& a, const Point& b) { return a.dist < b.dist; });
    else if (sort == desc)
        std::stable_sort(found.begin(), found.end(), [](const Point& a, const Point& b) { return a.dist > b.dist; });
    found.resize(returned);
    for (Point& p : found) p.dist /= shape.conversion;

    // GEOSEARCHSTORE replies the number stored, and like every *STORE command deletes the
    // destination when the result is empty: Redis never keeps an empty sorted set around.
    if (store) {
        if (found.empty()) return store_empty();
        auto result = Value::of<ZSet>();
        // The stored set is again a geo set (scores = geohashes), unless STOREDIST asks for the distances
        // as scores - a sorted set of "how far", ready for ZRANGE.
        for (const Point& p : found) result.zset()->set(p.member, store_dist ? p.dist : p.score);
        ctx.db().set(dest, std::move(result));
        ctx.modified(dest);
        ctx.server.dirty += found.size() - 1;
        return ctx.reply.integer(static_cast<int64_t>(found.size()));
    }
    // With no WITH* option each result is the bare member; with any, an array [member, dist?, hash?,
    // [lon, lat]?] in that fixed order, whatever order the options were given in.
    size_t extras = (with_dist ? 1 : 0) + (with_hash ? 1 : 0) + (with_coord ? 1 : 0);
    ctx.reply.array(found.size());
    for (const Point& p : found) {
        if (extras) ctx.reply.array(extras + 1);
        ctx.reply.bulk(p.member);
        if (with_dist) reply_distance(ctx, p.dist);
        if (with_hash) ctx.reply.integer(static_cast<int64_t>(p.score));
        if (with_coord) {
            ctx.reply.array(2);
            reply_coordinate(ctx, p.lon);
            reply_coordinate(ctx, p.lat);
        }
    }
}

}  // namespace

// GEOADD key [NX|XX] [CH] lon lat member [lon lat member ...] - rewritten into ZADD and run as one.
// ZADD's GT, LT and INCR are not accepted: a score here is a place, and "move only to a larger
// geohash" or "add two places" mean nothing. The reply is ZADD's: members added (or changed, CH).
void cmd_geoadd(CommandContext& ctx) {
    bool nx = false, xx = false;
    size_t first = 2;
    for (; first < ctx.argc(); ++first) {
        std::string_view opt = ctx.arg(first);
        if (equals_ignore_case(opt, "NX"))
            nx = true;
        else if (equals_ignore_case(opt, "XX"))
            xx = true;
        else if (!equals_ignore_case(opt, "CH"))
            break;
    }
    if ((ctx.argc() - first) % 3 != 0 || (nx && xx)) return ctx.syntax_error();
    // The options (NX, XX, CH) are passed on to ZADD as typed, then one "score member" per place. The
    // coordinates are checked before ZADD runs, so a bad pair adds nothing.
    std::vector<std::string> zadd = {"ZADD"};
    for (size_t i = 1; i < first; ++i) zadd.emplace_back(ctx.arg(i));
    for (size_t i = first; i < ctx.argc(); i += 3) {
        double lon, lat;
        if (!lon_lat(ctx, i, lon, lat)) return;
        zadd.push_back(std::to_string(geo::score_of(lon, lat)));
        zadd.emplace_back(ctx.arg(i + 2));
    }
    std::vector<std::string_view> argv(zadd.begin(), zadd.end());
    CommandContext as_zadd(ctx.server, ctx.client, argv, ctx.command);
    zadd_generic(as_zadd, false);
    ctx.rewritten = std::move(zadd);  // the AOF (and a replica) sees the ZADD
}

// GEOPOS key [member ...]: the centre of each member's square, or nil.
// The position comes back decoded from the 52-bit score, so it differs from what GEOADD got in
// the 6th or 7th decimal (well under a metre): the price of storing a point in a 52-bit score.
void cmd_geopos(CommandContext& ctx) {
    bool ok;
    ZSet* z = read_geo(ctx, ctx.arg(1), ok);
    if (!ok) return;
    ctx.reply.array(ctx.argc() - 2);
    for (size_t i = 2; i < ctx.argc(); ++i) {
        auto score = z ? z->score(ctx.arg(i)) : std::nullopt;
        // A missing member is a null *array* (RESP2 "*-1", RESP3 "_"), not a null bulk: the slot
        // would otherwise hold a [lon, lat] pair, and that is how Redis types it.
        if (!score) {
            ctx.reply.null_array();
            continue;
        }
        auto xy = geo::position_of(*score);
        ctx.reply.array(2);
        reply_coordinate(ctx, xy[0]);
        reply_coordinate(ctx, xy[1]);
    }
}

// GEODIST key member1 member2 [M|KM|FT|MI]
// Nil when either member is missing, not an error: "how far apart?" has no answer, and a client
// asking for many pairs should not have to catch exceptions for the gaps.
// Haversine on a sphere of Redis' earth radius (6372797.560856 m), as geo.c does - not the WGS84
// ellipsoid, so long distances can be off by up to about 0.5 %; again the point is to match Redis.
void cmd_geodist(CommandContext& ctx) {
    double to_meters = 1;
    if (ctx.argc() == 5) {
        if (!(to_meters = unit(ctx, ctx.arg(4)))) return;
    } else if (ctx.argc() > 5) {
        return ctx.syntax_error();
    }
    bool ok;
    ZSet* z = read_geo(ctx, ctx.arg(1), ok);
    if (!ok) return;
    auto a = z ? z->score(ctx.arg(2)) : std::nullopt;
    auto b = z ? z->score(ctx.arg(3)) : std::nullopt;
    if (!a || !b) return ctx.reply.null();
    auto p = geo::position_of(*a), q = geo::position_of(*b);
    reply_distance(ctx, geo::distance(p[0], p[1], q[0], q[1]) / to_meters);
}

// GEOHASH key [member ...]: standard geohash strings, usable on geohash.org.
// The score cannot simply be printed in base 32: it was encoded with the Mercator latitude range
// (+-85.05), the standard uses +-90. So the position is decoded and re-encoded on the standard
// grid (geo::geohash_string), as geo.c's geohashCommand does; the 11th character is always '0'.
void cmd_geohash(CommandContext& ctx) {
    bool ok;
    ZSet* z = read_geo(ctx, ctx.arg(1), ok);
    if (!ok) return;
    ctx.reply.array(ctx.argc() - 2);
    for (size_t i = 2; i < ctx.argc(); ++i) {
        auto score = z ? z->score(ctx.arg(i)) : std::nullopt;
        if (score)
            ctx.reply.bulk(geo::geohash_string(*score));
        else
            ctx.reply.null();
    }
}

void cmd_geosearch(CommandContext& ctx) { search_generic(ctx, false); }
void cmd_geosearchstore(CommandContext& ctx) { search_generic(ctx, true); }

}  // namespace miniredis
