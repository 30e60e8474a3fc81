// minikafka/storage/background_worker.hpp
//
// CONCEPT: slow disk work off the broker's thread. One thread owns all broker state (no
// locks); fsync (milliseconds) and deleting a big segment or topic directory must not stall
// it, so they are handed to this worker, and the result comes back as a callback that the
// broker's own thread runs (through `post_back`, which the wiring binds to the io_context).
//
//   broker thread                        worker thread
//   sync(files, done) ---- queue ---->   fdatasync each file
//        done() <------- post_back ----  (one fsync covers every append made before it:
//                                         "group commit")
//
// The queue is the only shared thing, guarded by one mutex.
// READ NEXT: background_worker.cpp, core/broker.cpp (start_flush).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "file.hpp"

namespace minikafka {

class BackgroundWorker {
public:
    using Post = std::function<void(std::function<void()>)>;

    explicit BackgroundWorker(Post post_back);
    ~BackgroundWorker();  // finishes the queued jobs, then joins
    BackgroundWorker(const BackgroundWorker&) = delete;
    BackgroundWorker& operator=(const BackgroundWorker&) = delete;

    // fdatasyncs the files (and the closed ones at `paths`) and fsyncs the `directories`, then
    // posts `done` to the broker's thread.
    void sync(std::vector<std::shared_ptr<File>> files, std::function<void()> done, std::vector<std::string> paths = {},
              std::vector<std::string> directories = {});
    // Removes files or whole directories.
    void remove(std::vector<std::string> paths);
    // Waits until every job queued so far has run (at shutdown; and in tests).
    void drain();

private:
    void run();
    void submit(std::function<void()> job);

    Post post_back_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<std::function<void()>> jobs_;
    bool busy_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace minikafka
