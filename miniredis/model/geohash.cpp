// miniredis/model/geohash.cpp
//
// Geohash encoding, neighbours and distances (see geohash.hpp).
//
// CONCEPT: see geohash.hpp. A 52-bit geohash interleaves the bits of longitude and latitude, so
// points close on the map are usually close as numbers - which is why a sorted set (ordered by
// score) can answer "what is near here?" with a few range scans over the neighbouring cells.
// READ NEXT: commands/geo.cpp, docs/miniredis/05-probabilistic-and-bits.md (Geo).
#include "model/geohash.hpp"

#include <cmath>

namespace miniredis::geo {
namespace {

constexpr Range kLonRange{kLonMin, kLonMax}, kLatRange{kLatMin, kLatMax};

double deg_rad(double deg) { return deg * (M_PI / 180.0); }
double rad_deg(double rad) { return rad / (M_PI / 180.0); }

// Spreads the 32 bits of x over the even bit positions of a 64-bit word ("Morton code").
uint64_t spread(uint64_t x) {
    x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x << 2)) & 0x3333333333333333ULL;
    x = (x | (x << 1)) & 0x5555555555555555ULL;
    return x;
}

// The inverse: the even bits of x packed into 32.
uint32_t squash(uint64_t x) {
    x &= 0x5555555555555555ULL;
    x = (x | (x >> 1)) & 0x3333333333333333ULL;
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
    x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
    return static_cast<uint32_t>(x);
}

// Latitude bits sit at even positions, longitude bits at odd ones.
uint64_t interleave(uint32_t lat, uint32_t lon) { return spread(lat) | (spread(lon) << 1); }

// One square to the east/west (longitude, odd bits) or north/south (latitude, even bits): add or
// subtract 1 in the interleaved number without disturbing the other coordinate's bits.
void move_x(Hash& h, int d) {
    if (d == 0) return;
    uint64_t x = h.bits & 0xaaaaaaaaaaaaaaaaULL, y = h.bits & 0x5555555555555555ULL;
    uint64_t zz = 0x5555555555555555ULL >> (64 - h.step * 2);
    if (d > 0) {
        x = x + (zz + 1);
    } else {
        x = x | zz;
        x = x - (zz + 1);
    }
    x &= (0xaaaaaaaaaaaaaaaaULL >> (64 - h.step * 2));
    h.bits = x | y;
}

void move_y(Hash& h, int d) {
    if (d == 0) return;
    uint64_t x = h.bits & 0xaaaaaaaaaaaaaaaaULL, y = h.bits & 0x5555555555555555ULL;
    uint64_t zz = 0xaaaaaaaaaaaaaaaaULL >> (64 - h.step * 2);
    if (d > 0) {
        y = y + (zz + 1);
    } else {
        y = y | zz;
        y = y - (zz + 1);
    }
    y &= (0x5555555555555555ULL >> (64 - h.step * 2));
    h.bits = x | y;
}

Hash moved(Hash h, int dx, int dy) {
    move_x(h, dx);
    move_y(h, dy);
    return h;
}

uint64_t align52(Hash h) { return h.bits << (52 - h.step * 2); }

// The square size for a radius: the largest step whose squares still cover the radius (Redis'
// geohashEstimateStepsByRadius), a little coarser near the poles where squares get narrow.
int steps_for(double range_meters, double lat) {
    if (range_meters == 0) return 26;
    int step = 1;
    while (range_meters < kMercatorMax) {
        range_meters *= 2;
        step++;
    }
    step -= 2;
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > 26) step = 26;
    return step;
}

}  // namespace

// A position as a cell number: each coordinate scaled to [0, 2^step) and the two integers
// interleaved. With step 26 (kStepMax) that is 52 bits - exactly the integers a double holds
// without loss, which is why Redis can store a position as a sorted-set score.
bool encode(Range lon_range, Range lat_range, double lon, double lat, int step, Hash& hash) {
    hash.bits = 0;
    hash.step = static_cast<uint8_t>(step);
    if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) return false;
    double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
    double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
    lat_offset *= static_cast<double>(1ULL << step);
    lon_offset *= static_cast<double>(1ULL << step);
    hash.bits = interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset));
    return true;
}

// A cell number back to the rectangle it stands for. GEOPOS answers with the cell's centre, which
// is why a position read back differs from the one written by up to about half a metre.
Area decode(Range lon_range, Range lat_range, Hash hash) {
    Area a;
    a.hash = hash;
    uint32_t ilat = squash(hash.bits), ilon = squash(hash.bits >> 1);
    double lat_scale = lat_range.max - lat_range.min, lon_scale = lon_range.max - lon_range.min;
    double cells = static_cast<double>(1ULL << hash.step);
    a.latitude.min = lat_range.min + (ilat * 1.0 / cells) * lat_scale;
    a.latitude.max = lat_range.min + ((ilat + 1.0) * 1.0 / cells) * lat_scale;
    a.longitude.min = lon_range.min + (ilon * 1.0 / cells) * lon_scale;
    a.longitude.max = lon_range.min + ((ilon + 1.0) * 1.0 / cells) * lon_scale;
    return a;
}

uint64_t score_of(double lon, double lat) {
    Hash h;
    encode(kLonRange, kLatRange, lon, lat, kStepMax, h);
    return align52(h);
}

// A score as the 52 bits it should hold. Redis casts the double to uint64_t; for scores no GEOADD
// wrote (ZADD k -1 m, then GEOPOS) that cast is undefined in C++, so spell out what x86-64 does.
uint64_t score_bits(double score) {
    if (score >= 0 && score < 18446744073709551616.0) return static_cast<uint64_t>(score);
    if (score < 0 && score > -9223372036854775808.0) return static_cast<uint64_t>(static_cast<int64_t>(score));
    return score < 0 ? 0x8000000000000000ULL : 0;
}

std::array<double, 2> position_of(double score) {
    Hash h{score_bits(score), kStepMax};
    Area a = decode(kLonRange, kLatRange, h);
    double lon = (a.longitude.min + a.longitude.max) / 2;
    double lat = (a.latitude.min + a.latitude.max) / 2;
    lon = std::fmin(std::fmax(lon, kLonMin), kLonMax);
    lat = std::fmin(std::fmax(lat, kLatMin), kLatMax);
    return {lon, lat};
}

std::string geohash_string(double score) {
    static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    auto [lon, lat] = position_of(score);
    Hash h;
    encode({-180, 180}, {-90, 90}, lon, lat, kStepMax, h);
    std::string out(11, '0');
    for (int i = 0; i < 10; ++i) out[static_cast<size_t>(i)] = kAlphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
    return out;  // the 11th character: 52 bits make 10.4 characters, Redis pads with '0'
}

double lat_distance(double lat1, double lat2) { return kEarthRadiusMeters * std::fabs(deg_rad(lat2) - deg_rad(lat1)); }

// The haversine great-circle distance on a sphere of Redis' earth radius (6372797.560856 m) - not
// the ellipsoid GPS uses, so results can differ from a map's by up to about 0.5 %; Redis' documented
// trade-off, kept so GEODIST answers match redis-server's.
double distance(double lon1, double lat1, double lon2, double lat2) {
    double lon1r = deg_rad(lon1), lon2r = deg_rad(lon2);
    double v = std::sin((lon2r - lon1r) / 2);
    if (v == 0.0) return lat_distance(lat1, lat2);  // same meridian: no trigonometry needed
    double lat1r = deg_rad(lat1), lat2r = deg_rad(lat2);
    double u = std::sin((lat2r - lat1r) / 2);
    double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
    return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(a));
}

// GEOSEARCH's plan: pick a cell size at least as big as the radius, then search the centre cell and
// its eight neighbours - nine score ranges of the sorted set - and filter the candidates by their
// exact distance. Nine ranges is what keeps a radius search O(log n + candidates).
//
//   +-----+-----+-----+
//   | NW  |  N  | NE  |      each cell = one ZRANGEBYSCORE range
//   +-----+-----+-----+
//   |  W  |  *  |  E  |      * = the cell holding the centre
//   +-----+-----+-----+
//   | SW  |  S  | SE  |
//   +-----+-----+-----+
SearchArea search_area(const Shape& shape) {
    // The bounding box of the shape in degrees.
    double height = shape.conversion * (shape.box ? shape.height / 2 : shape.radius);
    double width = shape.conversion * (shape.box ? shape.width / 2 : shape.radius);
    const double lat_delta = rad_deg(height / kEarthRadiusMeters);
    const double lon_delta_top = rad_deg(width / kEarthRadiusMeters / std::cos(deg_rad(shape.lat + lat_delta)));
    const double lon_delta_bottom = rad_deg(width / kEarthRadiusMeters / std::cos(deg_rad(shape.lat - lat_delta)));
    bool south = shape.lat < 0;
    double min_lon = south ? shape.lon - lon_delta_bottom : shape.lon - lon_delta_top;
    double max_lon = south ? shape.lon + lon_delta_bottom : shape.lon + lon_delta_top;
    double min_lat = shape.lat - lat_delta, max_lat = shape.lat + lat_delta;

    double radius_meters =
        shape.box ? std::sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2))
                  : shape.radius;
    radius_meters *= shape.conversion;
    int steps = steps_for(radius_meters, shape.lat);

    Hash hash;
    Area area;
    std::array<Hash, 8> n;
    auto compute = [&] {
        encode(kLonRange, kLatRange, shape.lon, shape.lat, steps, hash);
        n = {moved(hash, 0, 1), moved(hash, 0, -1), moved(hash, 1, 0),  moved(hash, -1, 0),
             moved(hash, 1, 1), moved(hash, -1, 1), moved(hash, 1, -1), moved(hash, -1, -1)};
        area = decode(kLonRange, kLatRange, hash);
    };
    compute();
    // Near a square's edge the neighbours may not reach the whole box: one step coarser then.
    Area north = decode(kLonRange, kLatRange, n[0]), southa = decode(kLonRange, kLatRange, n[1]);
    Area east = decode(kLonRange, kLatRange, n[2]), west = decode(kLonRange, kLatRange, n[3]);
    bool decrease = north.latitude.max < max_lat || southa.latitude.min > min_lat || east.longitude.max < max_lon ||
                    west.longitude.min > min_lon;
    if (steps > 1 && decrease) {
        steps--;
        compute();
    }
    // Drop the neighbours the box cannot reach.
    if (steps >= 2) {
        enum { N, S, E, W, NE, NW, SE, SW };
        if (area.latitude.min < min_lat) n[S] = n[SW] = n[SE] = Hash{};
        if (area.latitude.max > max_lat) n[N] = n[NE] = n[NW] = Hash{};
        if (area.longitude.min < min_lon) n[W] = n[SW] = n[NW] = Hash{};
        if (area.longitude.max > max_lon) n[E] = n[SE] = n[NE] = Hash{};
    }
    return {hash, n};
}

void score_range(Hash hash, uint64_t& min, uint64_t& max) {
    min = align52(hash);
    hash.bits++;
    max = align52(hash);
}

bool inside(const Shape& shape, double lon, double lat, double& meters) {
    if (!shape.box) {
        meters = distance(shape.lon, shape.lat, lon, lat);
        return meters <= shape.radius * shape.conversion;
    }
    // Latitude first: it is the cheaper distance.
    if (lat_distance(lat, shape.lat) > shape.height * shape.conversion / 2) return false;
    if (distance(lon, lat, shape.lon, lat) > shape.width * shape.conversion / 2) return false;
    meters = distance(shape.lon, shape.lat, lon, lat);
    return true;
}

}  // namespace miniredis::geo
