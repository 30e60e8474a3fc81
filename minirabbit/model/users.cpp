// minirabbit/model/users.cpp
//
// Users, password hashes and permission checks (see users.hpp).
//
// CONCEPT: never store a password. A user's record keeps base64(salt ++ sha256(salt ++ password)),
// RabbitMQ's rabbit_password_hashing_sha256 format, so a definitions file exported from RabbitMQ
// logs in here and the other way round; the random salt makes two users with the same password
// hash differently. The permission regexes are compiled once, when granted, because they are
// checked on every declare, bind, publish and consume.
//
//   login "guest"/"guest" ──▶ salt = first 4 bytes of the stored hash ──▶ sha256(salt ++ "guest")
//                         ──▶ equal to the rest? ──▶ in
// READ NEXT: storage/definitions.cpp (where users are saved).
#include "users.hpp"

#include <array>
#include <cstdint>
#include <random>

#include "base64.hpp"

namespace minirabbit {
namespace {

// SHA-256 (FIPS 180-4), enough of it for password hashes: RabbitMQ's default hashing module,
// rabbit_password_hashing_sha256, stores base64(salt ++ sha256(salt ++ password)).
std::array<uint8_t, 32> sha256(std::string_view data) {
    static constexpr uint32_t k[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };

    std::string padded(data);
    padded.push_back(static_cast<char>(0x80));
    while (padded.size() % 64 != 56) padded.push_back(0);
    uint64_t bits = uint64_t{data.size()} * 8;
    for (int i = 7; i >= 0; --i) padded.push_back(static_cast<char>(bits >> (i * 8)));

    for (size_t block = 0; block < padded.size(); block += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; ++i) {
            const auto* p = reinterpret_cast<const uint8_t*>(padded.data() + block + i * 4);
            w[i] = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
        }
        for (int i = 16; i < 64; ++i) {
            uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; ++i) {
            uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
            uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
    }
    std::array<uint8_t, 32> digest;
    for (int i = 0; i < 8; ++i)
        for (int j = 0; j < 4; ++j) digest[i * 4 + j] = static_cast<uint8_t>(h[i] >> (24 - j * 8));
    return digest;
}

std::string hash_with_salt(std::string_view salt, std::string_view password) {
    std::string salted(salt);
    salted.append(password);
    auto digest = sha256(salted);
    std::string raw(salt);
    raw.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return mb::base64_encode(raw);
}

}  // namespace

// Tags are RabbitMQ's coarse roles; only "administrator" means something here: the management API
// (minirabbit/admin_api.cpp) lets in administrators only, as RabbitMQ does by default.
bool User::is_administrator() const {
    for (const auto& tag : tags)
        if (tag == "administrator") return true;
    return false;
}

// The three regexes are compiled here, once per grant, and kept next to their source text: the
// text is what definitions.json and the API show, the compiled form is what the checks run.
Permission::Permission(std::string configure, std::string write, std::string read)
    : configure_(std::move(configure)),
      write_(std::move(write)),
      read_(std::move(read)),
      configure_re_(configure_),
      write_re_(write_),
      read_re_(read_) {}

bool Permission::matches(const std::string& pattern, const std::regex& re, std::string_view name) {
    // ".*" is what nearly every deployment uses: skip the regex engine (this runs per publish).
    if (pattern == ".*") return true;
    if (pattern.empty()) return false;
    return std::regex_match(name.begin(), name.end(), re);
}

// The salt is four random bytes, as RabbitMQ's hashing module uses; stored in front of the digest,
// so check_password can recompute with the same salt.
std::string Users::hash_password(std::string_view password, uint32_t salt) {
    char salt_bytes[4] = {static_cast<char>(salt >> 24), static_cast<char>(salt >> 16), static_cast<char>(salt >> 8),
                          static_cast<char>(salt)};
    return hash_with_salt(std::string_view(salt_bytes, 4), password);
}

void Users::put_user(std::string name, std::string_view password, std::vector<std::string> tags) {
    std::random_device random;
    put_user_with_hash(std::move(name), hash_password(password, random()), std::move(tags));
}

// Every change to users or permissions bumps generation_: channels cache "this user may write to
// that exchange" (core/channel.cpp finish_publish) and drop the cache when the number moves, so a
// revoked permission takes effect on the next publish without a lookup on every one.
void Users::put_user_with_hash(std::string name, std::string password_hash, std::vector<std::string> tags) {
    ++generation_;
    User& user = users_[name];
    user.name = std::move(name);
    user.password_hash = std::move(password_hash);
    user.tags = std::move(tags);
}

bool Users::delete_user(std::string_view name) {
    auto it = users_.find(name);
    if (it == users_.end()) return false;
    for (auto& [vhost, users] : permissions_) users.erase(std::string(name));
    users_.erase(it);
    ++generation_;
    return true;
}

const User* Users::find(std::string_view name) const {
    auto it = users_.find(name);
    return it == users_.end() ? nullptr : &it->second;
}

// A user without a hash (imported with password_hash "") cannot log in with a password at all -
// RabbitMQ's way of creating users that may only authenticate by other means.
bool Users::check_password(std::string_view name, std::string_view password) const {
    const User* user = find(name);
    if (user == nullptr || user->password_hash.empty()) return false;
    std::string raw = mb::base64_decode(user->password_hash);
    if (raw.size() != 4 + 32) return false;
    return hash_with_salt(std::string_view(raw).substr(0, 4), password) == user->password_hash;
}

void Users::set_permission(const std::string& vhost, const std::string& user, Permission permission) {
    ++generation_;
    permissions_[vhost].insert_or_assign(user, std::move(permission));
}

bool Users::clear_permission(const std::string& vhost, const std::string& user) {
    ++generation_;
    auto it = permissions_.find(vhost);
    return it != permissions_.end() && it->second.erase(user) > 0;
}

// A deleted vhost takes its permissions with it, so re-creating a vhost of the same name does not
// silently give old users their old rights back.
void Users::clear_vhost(std::string_view vhost) {
    ++generation_;
    if (auto it = permissions_.find(vhost); it != permissions_.end()) permissions_.erase(it);
}

const Permission* Users::permission(std::string_view vhost, std::string_view user) const {
    auto by_vhost = permissions_.find(vhost);
    if (by_vhost == permissions_.end()) return nullptr;
    auto it = by_vhost->second.find(user);
    return it == by_vhost->second.end() ? nullptr : &it->second;
}

}  // namespace minirabbit
