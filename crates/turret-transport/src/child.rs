//! A client transport that runs a server as a child process.
