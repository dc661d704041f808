/* names.c — docker-style random container names: "adjective_surname".
 * The surnames are people who shaped computing, mathematics and
 * engineering; both lists are cairn's own. */
#include <stdint.h>
#include <sys/random.h>

#include "cairn.h"
#include "mem.h"

static const char *const adjectives[] = {
    "agile",   "amber",   "ardent",   "bold",     "brave",    "bright",  "brisk",   "calm",
    "candid",  "careful", "cheerful", "clever",   "cosmic",   "crisp",   "curious", "daring",
    "deft",    "eager",   "earnest",  "elated",   "fearless", "festive", "fond",    "gallant",
    "gentle",  "glad",    "golden",   "graceful", "hardy",    "hopeful", "humble",  "jolly",
    "jovial",  "keen",    "kind",     "lively",   "loyal",    "lucid",   "mellow",  "merry",
    "mighty",  "modest",  "nimble",   "noble",    "patient",  "placid",  "plucky",  "polite",
    "proud",   "quiet",   "quirky",   "rapid",    "serene",   "sharp",   "shiny",   "silent",
    "sleepy",  "smart",   "snappy",   "solid",    "spry",     "stoic",   "sturdy",  "sunny",
    "swift",   "tender",  "tidy",     "trusty",   "upbeat",   "vivid",   "wise",    "witty",
    "zealous", "zen",
};

static const char *const surnames[] = {
    "allen",    "babbage",   "backus",   "bardeen", "bartik",    "berners",    "boole",
    "brattain", "cerf",      "church",   "codd",    "conway",    "corbato",    "cray",
    "dijkstra", "engelbart", "euler",    "fano",    "feinler",   "floyd",      "gauss",
    "goldberg", "hamming",   "hamilton", "hartree", "hoare",     "hopper",     "huffman",
    "jacquard", "johnson",   "kahan",    "kay",     "kernighan", "kilby",      "knuth",
    "lamarr",   "lamport",   "leibniz",  "liskov",  "lovelace",  "mccarthy",   "mcilroy",
    "minsky",   "moore",     "napier",   "naur",    "neumann",   "noether",    "noyce",
    "nygaard",  "pascal",    "perlman",  "pike",    "postel",    "rejewski",   "ritchie",
    "rivest",   "sammet",    "shamir",   "shannon", "shaw",      "sutherland", "tanenbaum",
    "thompson", "torvalds",  "turing",   "vaughan", "wang",      "wheeler",    "wilkes",
    "wirth",    "wozniak",   "yao",      "zuse",
};

char *name_random(void) {
  uint32_t r[2] = {0, 0};
  if (getrandom(r, sizeof r, 0) != sizeof r) {
    r[0] = (uint32_t)(uintptr_t)&r;
    r[1] = r[0] >> 7;
  }
  return xasprintf("%s_%s", adjectives[r[0] % (sizeof adjectives / sizeof adjectives[0])],
                   surnames[r[1] % (sizeof surnames / sizeof surnames[0])]);
}
