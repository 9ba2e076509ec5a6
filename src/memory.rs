//! How the process's memory allocator is tuned: an alert storm's answers are megabytes each,
//! parsed every second; the memory they take is given back to the system when they are freed,
//! so a storm that passes does not leave the process at its peak size.

#![allow(unsafe_code, reason = "mallopt(3), through libc")]

/// Largest allocation served from the heap; larger ones (answers, alert lists) get memory
/// mappings of their own, unmapped when freed. glibc's default starts here too, but raises
/// itself after every large free until large buffers stay in the heap for good.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Free memory at the top of the heap beyond this is given back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 1024 * 1024;

/// Tunes the allocator; call once, first thing in `main`. Does nothing where the C library is
/// not glibc (musl's allocator already unmaps what it frees).
pub fn tune() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread
    // exists and its arguments are valid parameter numbers and sizes.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
