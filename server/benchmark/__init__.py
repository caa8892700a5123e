"""The load benchmark (`make bench-load`): simulated citizens chatting through the web
channel at once, with the throughput, latency, CPU and memory of every process measured."""
