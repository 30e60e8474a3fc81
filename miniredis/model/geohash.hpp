// miniredis/model/geohash.hpp
//
// Geohash: a point on Earth as one 52-bit number, so that a sorted set can index places.
//
// CONCEPT: a sorted set orders members by one number. A place has two (longitude, latitude). The
// geohash folds them into one by *interleaving their bits*: halve the longitude range, one bit
// says which half; halve the latitude range, one bit; again and again, 26 times each:
//
//   longitude bits  x25 x24 ... x0        latitude bits  y25 y24 ... y0
//   score (52 bits) x25 y25 x24 y24 ... x0 y0
//
//   the world, step 1:   +-------+-------+     each extra step splits every square in four;
//                        |  01   |  11   |     points whose scores share a prefix lie in the
//                        +-------+-------+     same square, so "everything in this square" is
//                        |  00   |  10   |     one score range: ZRANGE BYSCORE on the prefix.
//                        +-------+-------+
//
// A radius search therefore turns into at most nine score ranges - the square around the centre
// and its eight neighbours, at a size (step) chosen from the radius - followed by an exact
// distance check of each candidate (haversine on a sphere of Redis' radius, 6372797.560856 m).
// Latitudes stop at +-85.05112878 (the Web Mercator limit), as in Redis.
//
// At 26 steps a square is about 0.6 m: GEOPOS gives back the centre of the square the point fell
// in, not the exact input - the same rounding as redis-server, because the arithmetic is the same.
//
// REAL REDIS: geohash.c, geohash_helper.c (this file's functions keep their names in spirit).
//
// READ NEXT: commands/geo.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace miniredis::geo {

inline constexpr int kStepMax = 26;
inline constexpr double kLatMin = -85.05112878, kLatMax = 85.05112878;
inline constexpr double kLonMin = -180, kLonMax = 180;
inline constexpr double kEarthRadiusMeters = 6372797.560856;
inline constexpr double kMercatorMax = 20037726.37;

struct Range {
    double min, max;
};
struct Hash {
    uint64_t bits = 0;
    uint8_t step = 0;
    bool zero() const { return bits == 0 && step == 0; }
};
struct Area {
    Hash hash;
    Range longitude, latitude;
};

// Interleaved hash of (lon, lat) at `step` bits per coordinate within the ranges; false when out.
bool encode(Range lon_range, Range lat_range, double lon, double lat, int step, Hash& hash);
Area decode(Range lon_range, Range lat_range, Hash hash);
// The 52-bit sorted-set score of a point (step 26 within Redis' Mercator-limited ranges).
uint64_t score_of(double lon, double lat);
// The centre of the square a score stands for: {longitude, latitude}.
std::array<double, 2> position_of(double score);
// The standard 11-character base32 geohash (re-encoded with latitude -90..90, as Redis does).
std::string geohash_string(double score);

// Great-circle distance in meters (haversine), and the north-south part alone.
double distance(double lon1, double lat1, double lon2, double lat2);
double lat_distance(double lat1, double lat2);

// A search shape: a circle (radius) or a box (width x height), in meters after `conversion`.
struct Shape {
    double lon = 0, lat = 0;
    bool box = false;
    double radius = 0, width = 0, height = 0;  // in the user's unit
    double conversion = 1;                     // meters per unit
};

// The nine squares to scan for a shape: the centre's and its neighbours, the useless ones zeroed.
struct SearchArea {
    Hash centre;
    std::array<Hash, 8> neighbours;  // north, south, east, west, NE, NW, SE, SW (Redis' scan order)
};
SearchArea search_area(const Shape& shape);
// [min, max) score range of the points inside a square.
void score_range(Hash hash, uint64_t& min, uint64_t& max);
// Is the point inside the shape? Sets its distance from the centre (meters) when it is.
bool inside(const Shape& shape, double lon, double lat, double& meters);

}  // namespace miniredis::geo
