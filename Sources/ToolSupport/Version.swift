/// The toolchain's version, printed by every tool's `--version`.
public let toolchainVersion = "0.1.0"
