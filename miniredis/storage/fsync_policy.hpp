// miniredis/storage/fsync_policy.hpp
//
// FsyncPolicy: when a write that reached the AOF becomes durable (redis.conf's `appendfsync`).
//
// CONCEPT: write() only hands bytes to the kernel's page cache; they survive a crash of the
// process but not a power cut. fsync() waits until the disk has them. It costs a disk round trip,
// so Redis lets the user choose where on the line between "every acknowledged write survives a
// power cut" and "fast":
//
//   always     fsync before the replies of the turn leave (group commit: one fsync per turn)
//   everysec   a helper thread fsyncs once a second: a power cut loses at most ~1 s of writes
//   no         the kernel writes back when it likes (typically within 30 s)
//
// Why this lives in storage/ and not in core/config.hpp: the AOF needs the type, and storage/ may
// not include core/ (the one-way rule of docs/architecture.md); config.hpp includes it from here.
// The numbers behind the choice - what each policy costs in SET/s on this machine - are in
// docs/miniredis/benchmarks.md (durability).
// READ NEXT: storage/aof.hpp (Aof::flush, where the policy is applied).
#pragma once

namespace miniredis {

enum class FsyncPolicy { always, everysec, no };

}  // namespace miniredis
