/* Stand-in for the macOS SDK's TargetConditionals.h, so ring's build script
 * can compile its C for aarch64-apple-darwin on Linux during CI's
 * type-check (`cargo check --target aarch64-apple-darwin`). The objects are
 * never linked; a real macOS build uses the real SDK. */
#ifndef FRAMESCOPE_TARGET_CONDITIONALS_STUB
#define FRAMESCOPE_TARGET_CONDITIONALS_STUB
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#endif
