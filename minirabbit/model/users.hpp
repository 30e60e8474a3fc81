// minirabbit/model/users.hpp
//
// CONCEPT: users and permissions - who may connect, to which virtual host, and what they may do there.
//
// As in RabbitMQ, a permission is three regular expressions per (user, vhost):
//   configure  may declare/delete queues and exchanges whose name matches
//   write      may publish to exchanges / bind queues *to* exchanges whose name matches
//   read       may consume from queues / bind *from* exchanges whose name matches
// "" matches nothing and ".*" everything. The default user guest/guest has ".*" on "/" and, as in
// RabbitMQ (loopback_users), may connect only from the loopback interface.
// Passwords are kept as RabbitMQ keeps them: base64(salt + SHA-256(salt + password)).
//
// READ NEXT: users.cpp, handlers/connection_class.cpp (login), handlers/queue_class.cpp (checks).
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minirabbit {

struct User {
    std::string name;
    std::string password_hash;      // base64(4-byte salt + sha256(salt + password)); empty = no password login
    std::vector<std::string> tags;  // "administrator", "management", ... (shown by the admin API)
    bool is_administrator() const;
};

class Permission {
public:
    Permission() = default;
    Permission(std::string configure, std::string write, std::string read);

    bool may_configure(std::string_view name) const { return matches(configure_, configure_re_, name); }
    bool may_write(std::string_view name) const { return matches(write_, write_re_, name); }
    bool may_read(std::string_view name) const { return matches(read_, read_re_, name); }

    const std::string& configure() const { return configure_; }
    const std::string& write() const { return write_; }
    const std::string& read() const { return read_; }

private:
    static bool matches(const std::string& pattern, const std::regex& re, std::string_view name);
    std::string configure_, write_, read_;
    std::regex configure_re_, write_re_, read_re_;
};

class Users {
public:
    // Throws std::regex_error for a bad permission pattern (the admin API reports it as 400).
    void put_user(std::string name, std::string_view password, std::vector<std::string> tags);
    void put_user_with_hash(std::string name, std::string password_hash, std::vector<std::string> tags);
    bool delete_user(std::string_view name);
    const User* find(std::string_view name) const;
    bool check_password(std::string_view name, std::string_view password) const;

    void set_permission(const std::string& vhost, const std::string& user, Permission permission);
    bool clear_permission(const std::string& vhost, const std::string& user);
    void clear_vhost(std::string_view vhost);  // a deleted vhost takes its permissions with it
    const Permission* permission(std::string_view vhost, std::string_view user) const;

    const std::map<std::string, User, std::less<>>& users() const { return users_; }
    using PermissionMap = std::map<std::string, std::map<std::string, Permission, std::less<>>, std::less<>>;
    const PermissionMap& permissions() const { return permissions_; }  // vhost -> user -> permission
    // Bumped on every change, so a channel can cache "may write to exchange X" between changes.
    uint64_t generation() const { return generation_; }

    static std::string hash_password(std::string_view password, uint32_t salt);

private:
    std::map<std::string, User, std::less<>> users_;
    PermissionMap permissions_;
    uint64_t generation_ = 0;
};

}  // namespace minirabbit
