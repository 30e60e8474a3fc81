// minikafka/storage/background_worker.cpp
//
// CONCEPT: slow disk work off the broker's thread (background_worker.hpp): the queue, the one
// worker thread, and what each job does. An fsync takes milliseconds; run on the event loop it
// would stall every client, so the broker only posts jobs here and gets a callback back.
//
//   broker thread ─submit─▶ [jobs] ─▶ worker: fdatasync / remove ─▶ post_back(done) ─▶ broker thread
//
// READ NEXT: core/broker.cpp (start_flush, the group commit that uses it), file.cpp (sync()).
#include "background_worker.hpp"

#include <filesystem>

#include "log.hpp"

namespace minikafka {

BackgroundWorker::BackgroundWorker(Post post_back) : post_back_(std::move(post_back)), thread_([this] { run(); }) {}

BackgroundWorker::~BackgroundWorker() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void BackgroundWorker::submit(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    changed_.notify_all();
}

void BackgroundWorker::sync(std::vector<std::shared_ptr<File>> files, std::function<void()> done,
                            std::vector<std::string> paths, std::vector<std::string> directories) {
    submit([this, files = std::move(files), done = std::move(done), paths = std::move(paths),
            directories = std::move(directories)]() mutable {
        for (const std::string& path : paths) {
            // A rolled segment's index. If it cannot be opened (retention removed it meanwhile, or
            // no descriptor is free) there is nothing to lose: a segment's indexes are checked at
            // start and rebuilt from its log when they do not make sense.
            try {
                File::open(path, false).sync();
            } catch (const std::exception& e) {
                mb::log::debug("not syncing {}: {}", path, e.what());
            }
        }
        for (const auto& file : files) {
            try {
                file->sync();
            } catch (const std::exception& e) {
                // A failed fsync means the data may not be on disk; Kafka stops the broker
                // rather than acknowledge it. We do the same.
                mb::log::error("fsync failed: {}; stopping", e.what());
                std::abort();
            }
        }
        // A new partition's directory (its first segment's name): as essential as the data.
        for (const std::string& directory : directories) {
            try {
                sync_directory(directory);
            } catch (const std::exception& e) {
                mb::log::error("fsync failed: {}; stopping", e.what());
                std::abort();
            }
        }
        files.clear();  // drop our references before handing back
        post_back_(std::move(done));
    });
}

void BackgroundWorker::remove(std::vector<std::string> paths) {
    submit([paths = std::move(paths)] {
        for (const auto& path : paths) {
            std::error_code ec;
            std::filesystem::remove_all(path, ec);
            if (ec) mb::log::warn("cannot remove {}: {}", path, ec.message());
        }
    });
}

void BackgroundWorker::drain() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return jobs_.empty() && !busy_; });
}

void BackgroundWorker::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;  // stopping, and nothing left to do
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        busy_ = true;
        lock.unlock();
        job();
        lock.lock();
        busy_ = false;
        changed_.notify_all();
    }
}

}  // namespace minikafka
