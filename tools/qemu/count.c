/*
 * QEMU TCG plugin: counts the guest instructions executed between two addresses.
 *
 *   qemu-system-arm ... -plugin libcount.so,start=0xADDR,stop=0xADDR
 *
 * A window opens each time the PC reaches `start` and closes at the next `stop` (the Thumb bit of the addresses is
 * ignored). Each closed window prints one line on stderr (no `-d plugin` needed):
 *
 *   stapes-count: window 1: 12345 instructions
 *
 * A window counts the `start` instruction and not the `stop` one. The stapes bench (conformance/m33, m33-bench)
 * brackets calls with two marker functions and subtracts an empty window, so only the call itself remains.
 * Counts are deterministic: TCG executes the same instructions on every run.
 *
 * In user mode (qemu-aarch64 running a Linux program) the program's addresses depend on where QEMU loads it, so
 * windows are marked by system calls instead:
 *
 *   qemu-aarch64 -plugin libcount.so,syscall=NR ./program
 *
 * A window opens at a system call number NR whose first argument is 1 and closes at the next one whose first
 * argument is 0. NR is a number the kernel does not implement (it returns ENOSYS), so the marker does nothing else;
 * a system call executes no guest instructions, so the window holds exactly the instructions between the two. The
 * stapes aarch64 count (`cargo xtask aarch64-count`) marks the extractions of a core test this way.
 *
 * Declares the few plugin-API v1 prototypes it uses itself (QEMU 4.2 to 8.x; Debian ships no qemu-plugin.h).
 * Build: gcc -O2 -shared -fPIC -o target/qemu/libcount.so tools/qemu/count.c   (done by `cargo xtask m33-bench`)
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- from qemu-plugin.h (API version 1) ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_syscall_cb_t)(qemu_plugin_id_t id, unsigned int vcpu_index, int64_t num, uint64_t a1,
                                              uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                                              uint64_t a7, uint64_t a8);
void qemu_plugin_register_vcpu_syscall_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_syscall_cb_t cb);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr,
                                                uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
/* ---- end of qemu-plugin.h ---- */

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

static uint64_t start_pc, stop_pc;
static int64_t marker_syscall = -1;
/* every guest instruction: the translated code adds 1 inline (one vCPU on mps2; in user mode one per thread, so the
   counted program runs its marked work while its other threads, if any, wait) */
static uint64_t executed;
static uint64_t opened_at;
static int open;
static unsigned windows;

static void on_start(unsigned int vcpu, void *udata) {
    (void)vcpu, (void)udata;
    opened_at = executed; /* exec callbacks run before the instruction's inline add */
    open = 1;
}

static void on_stop(unsigned int vcpu, void *udata) {
    (void)vcpu, (void)udata;
    if (!open) return;
    open = 0;
    fprintf(stderr, "stapes-count: window %u: %" PRIu64 " instructions\n", ++windows, executed - opened_at);
    fflush(stderr);
}

static void on_syscall(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8) {
    (void)id, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8;
    if (num != marker_syscall) return;
    if (a1 == 1) {
        on_start(vcpu, NULL);
    } else if (a1 == 0) {
        on_stop(vcpu, NULL);
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        if (pc == start_pc) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_start, QEMU_PLUGIN_CB_NO_REGS, NULL);
        if (pc == stop_pc) qemu_plugin_register_vcpu_insn_exec_cb(insn, on_stop, QEMU_PLUGIN_CB_NO_REGS, NULL);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &executed, 1);
    }
}

static void at_exit(qemu_plugin_id_t id, void *udata) {
    (void)id, (void)udata;
    if (open) fprintf(stderr, "stapes-count: window %u never closed\n", windows + 1);
    fprintf(stderr, "stapes-count: %u windows, %" PRIu64 " instructions in total\n", windows, executed);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv) {
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "start=", 6) == 0) {
            start_pc = strtoull(argv[i] + 6, NULL, 0) & ~1ull;
        } else if (strncmp(argv[i], "stop=", 5) == 0) {
            stop_pc = strtoull(argv[i] + 5, NULL, 0) & ~1ull;
        } else if (strncmp(argv[i], "syscall=", 8) == 0) {
            marker_syscall = strtoll(argv[i] + 8, NULL, 0);
        } else {
            fprintf(stderr, "stapes-count: unknown argument '%s' (want start=ADDR,stop=ADDR or syscall=NR)\n", argv[i]);
            return -1;
        }
    }
    if (marker_syscall >= 0) {
        if (start_pc != 0 || stop_pc != 0) {
            fprintf(stderr, "stapes-count: syscall=NR marks windows by itself: no start= or stop= with it\n");
            return -1;
        }
        qemu_plugin_register_vcpu_syscall_cb(id, on_syscall);
    } else if (start_pc == 0 || stop_pc == 0 || start_pc == stop_pc) {
        fprintf(stderr, "stapes-count: need two distinct addresses: start=ADDR,stop=ADDR (or syscall=NR)\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
