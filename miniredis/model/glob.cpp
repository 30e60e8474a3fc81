// miniredis/model/glob.cpp
//
// CONCEPT: glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE) matched without recursion.
//
// glob_match: iterative matching with one backtrack point per '*' (the classic linear-ish
// algorithm: on a mismatch, let the last '*' swallow one more byte and retry).
//
//   "h*o" vs "hello":  h=h, '*' takes "" → 'o'≠'e' → backtrack: '*' takes "e" → ... → '*' takes "ell" → 'o'=o ✓
// READ NEXT: model/pubsub.cpp (patterns), commands/keys.cpp (KEYS).
#include "glob.hpp"

#include <cctype>

namespace miniredis {
namespace {

char fold(char c, bool nocase) { return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c; }

// Matches the class starting after '[' at pattern[p]; sets p past the closing ']'.
// One [...] class at pattern[p]: ranges (a-z, also written z-a), escapes (\] inside a class) and
// negation ([^...]). `nocase` serves CONFIG GET, whose parameter names match case-insensitively.
bool match_class(std::string_view pattern, size_t& p, char c, bool nocase) {
    bool negate = p < pattern.size() && pattern[p] == '^';
    if (negate) ++p;
    bool matched = false;
    while (p < pattern.size() && pattern[p] != ']') {
        if (pattern[p] == '\\' && p + 1 < pattern.size()) {
            ++p;
            if (fold(pattern[p], nocase) == fold(c, nocase)) matched = true;
            ++p;
        } else if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
            char lo = fold(pattern[p], nocase), hi = fold(pattern[p + 2], nocase);
            if (lo > hi) std::swap(lo, hi);
            char x = fold(c, nocase);
            if (x >= lo && x <= hi) matched = true;
            p += 3;
        } else {
            if (fold(pattern[p], nocase) == fold(c, nocase)) matched = true;
            ++p;
        }
    }
    if (p < pattern.size()) ++p;  // the ']' (a missing one ends the class at the pattern's end)
    return negate ? !matched : matched;
}

}  // namespace

// Matching with one remembered '*': on a mismatch, go back to just after the last '*' and let it
// swallow one more byte. Each '*' only ever moves forward, so there is no exponential blow-up, unlike
// the naive recursive matcher (Redis bounds its recursion instead).
// Why only the *last* star is remembered: if a later part fails, letting an earlier '*' swallow more
// can never help that the last one could not also do, so backtracking one star is enough. The
// matcher is then O(pattern x text) in the worst case, with no recursion - a hostile pattern such as
// "*a*a*a*a*b" against a long string costs time proportional to their product, never an exponential
// blow-up, and cannot overflow the stack (Redis' recursive stringmatchlen needed a nesting cap for
// exactly that).
bool glob_match(std::string_view pattern, std::string_view text, bool nocase) {
    size_t p = 0, t = 0;
    size_t star_p = std::string_view::npos, star_t = 0;
    while (t < text.size()) {
        if (p < pattern.size()) {
            char pc = pattern[p];
            if (pc == '*') {
                while (p < pattern.size() && pattern[p] == '*') ++p;  // "**" is "*"
                if (p == pattern.size()) return true;
                star_p = p;
                star_t = t;
                continue;
            }
            size_t next = p;
            bool ok;
            if (pc == '?') {
                ok = true;
                next = p + 1;
            } else if (pc == '[') {
                next = p + 1;
                ok = match_class(pattern, next, text[t], nocase);
            } else if (pc == '\\' && p + 1 < pattern.size()) {
                ok = fold(pattern[p + 1], nocase) == fold(text[t], nocase);
                next = p + 2;
            } else {
                ok = fold(pc, nocase) == fold(text[t], nocase);
                next = p + 1;
            }
            if (ok) {
                p = next;
                ++t;
                continue;
            }
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p;  // backtrack: the last '*' takes one more byte
        t = ++star_t;
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

}  // namespace miniredis
