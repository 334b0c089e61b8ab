//! The integration tests that need no window, as one test binary (linked
//! once): the engine, its servers and clients over loopback, the command
//! line, files, and peers nobody here wrote (the tutorial's Python, real
//! redis-server, mosquitto, dnsmasq and pymodbus servers, Wireshark's
//! tshark). Each module is one subject. The hostile peers are a binary of
//! their own (tests/hostile.rs): they measure the whole process.

mod common;

mod codec;
mod dissector;
mod engine_load;
mod engine_view;
mod journal_file;
mod load;
mod loopback;
mod pcapng;
mod profiles;
mod python_peers;
mod relay;
mod rules;
mod scenarios;
mod tls;
mod tls_peers;
mod udp;
mod wireshark;
