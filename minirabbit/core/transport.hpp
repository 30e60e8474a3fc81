// minirabbit/core/transport.hpp
//
// What a Connection needs from the socket side (server.cpp implements it): the protocol state
// machine stays free of Asio, and unit tests can drive a Connection with a fake transport.
//
// CONCEPT: the seam between the protocol and the network - dependency inversion in three
// functions. core/ knows nothing of Asio; server.cpp implements this for a TCP socket, tests with
// a string.
// READ NEXT: connection.hpp, server.cpp.
#pragma once

namespace minirabbit {

class Transport {
public:
    virtual void wake_writer() = 0;                    // Connection::out() has bytes to send
    virtual void close_after_writing() = 0;            // send what is in out(), then hang up
    virtual void set_reading_paused(bool paused) = 0;  // flow control: stop reading this socket

protected:
    ~Transport() = default;
};

}  // namespace minirabbit
