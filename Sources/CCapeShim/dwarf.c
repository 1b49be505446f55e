/* Names for race reports, from the program's debug information (libdw).
 *
 * A variable that a region shares by reference is reached through the region's data block: gcc
 * describes the outlined function's parameter `.omp_data_i` as a pointer to a struct whose members
 * carry the variables' names and hold pointers to them. Reading those pointers in the live data
 * block tells which variable an address belongs to, even on the stack, where the symbol table has
 * no names. C because libdw is a C library; only used to report a race, so nothing is cached.
 *
 * libdw is opened on first use, not linked: it brings four more libraries (libelf, libz, liblzma,
 * libbz2) that every process of the job would load and relocate at start (mpiexec and hydra's
 * proxies too, which inherit LD_PRELOAD), for names that most runs never print. Without libdw the
 * reports leave the names out. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char found_name[256];

#define CAPE_LIBDW_CALLS(X) X(dwarf_addrdie) X(dwarf_aggregate_size) X(dwarf_attr) X(dwarf_attr_integrate) \
    X(dwarf_begin) X(dwarf_child) X(dwarf_diename) X(dwarf_end) X(dwarf_formref_die) X(dwarf_formudata) \
    X(dwarf_getsrc_die) X(dwarf_lineno) X(dwarf_linesrc) X(dwarf_lowpc) X(dwarf_nextcu) X(dwarf_offdie) \
    X(dwarf_siblingof) X(dwarf_tag)

static struct {
#define CAPE_LIBDW_FIELD(f) __typeof__(&f) f;
    CAPE_LIBDW_CALLS(CAPE_LIBDW_FIELD)
} dw_calls;

/* 1 once every call of libdw that this file makes is found. */
static int libdw_loaded(void) {
    static int state; /* 0 not tried, 1 loaded, -1 missing */
    if (state) return state > 0;
    state = -1;
    void *lib = dlopen("libdw.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!lib) return 0;
#define CAPE_LIBDW_LOOKUP(f) if (!(dw_calls.f = (__typeof__(&f))dlsym(lib, #f))) return 0;
    CAPE_LIBDW_CALLS(CAPE_LIBDW_LOOKUP)
    state = 1;
    return 1;
}

#define CAPE_LIBDW_ROUTE(f) dw_calls.f
#define dwarf_addrdie CAPE_LIBDW_ROUTE(dwarf_addrdie)
#define dwarf_aggregate_size CAPE_LIBDW_ROUTE(dwarf_aggregate_size)
#define dwarf_attr CAPE_LIBDW_ROUTE(dwarf_attr)
#define dwarf_attr_integrate CAPE_LIBDW_ROUTE(dwarf_attr_integrate)
#define dwarf_begin CAPE_LIBDW_ROUTE(dwarf_begin)
#define dwarf_child CAPE_LIBDW_ROUTE(dwarf_child)
#define dwarf_diename CAPE_LIBDW_ROUTE(dwarf_diename)
#define dwarf_end CAPE_LIBDW_ROUTE(dwarf_end)
#define dwarf_formref_die CAPE_LIBDW_ROUTE(dwarf_formref_die)
#define dwarf_formudata CAPE_LIBDW_ROUTE(dwarf_formudata)
#define dwarf_getsrc_die CAPE_LIBDW_ROUTE(dwarf_getsrc_die)
#define dwarf_lineno CAPE_LIBDW_ROUTE(dwarf_lineno)
#define dwarf_linesrc CAPE_LIBDW_ROUTE(dwarf_linesrc)
#define dwarf_lowpc CAPE_LIBDW_ROUTE(dwarf_lowpc)
#define dwarf_nextcu CAPE_LIBDW_ROUTE(dwarf_nextcu)
#define dwarf_offdie CAPE_LIBDW_ROUTE(dwarf_offdie)
#define dwarf_siblingof CAPE_LIBDW_ROUTE(dwarf_siblingof)
#define dwarf_tag CAPE_LIBDW_ROUTE(dwarf_tag)

static Dwarf_Die *strip_type(Dwarf_Die *die, Dwarf_Die *out) {
    Dwarf_Attribute a;
    while (die && dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, out)) {
        int tag = dwarf_tag(out);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type && tag != DW_TAG_restrict_type)
            return out;
        die = out;
    }
    return NULL;
}

/* The struct type behind the first formal parameter of `fn`'s DIE, or NULL. */
static int data_struct(Dwarf_Die *fn, Dwarf_Die *st) {
    Dwarf_Die child, t1;
    if (dwarf_child(fn, &child) != 0) return 0;
    do {
        if (dwarf_tag(&child) != DW_TAG_formal_parameter) continue;
        Dwarf_Die *p = strip_type(&child, &t1);
        if (!p || (dwarf_tag(p) != DW_TAG_pointer_type && dwarf_tag(p) != DW_TAG_reference_type)) return 0;
        Dwarf_Die *s = strip_type(p, st);
        return s && dwarf_tag(s) == DW_TAG_structure_type;
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

/* Depth-first search for the subprogram that starts at `pc` (outlined functions are nested in the
   function that contains the region). */
static int find_subprogram(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out) {
    Dwarf_Die die;
    if (dwarf_child(parent, &die) != 0) return 0;
    do {
        int tag = dwarf_tag(&die);
        if (tag == DW_TAG_subprogram) {
            Dwarf_Addr low;
            if (dwarf_lowpc(&die, &low) == 0 && low == pc) { *out = die; return 1; }
        }
        if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block) && find_subprogram(&die, pc, out)) return 1;
    } while (dwarf_siblingof(&die, &die) == 0);
    return 0;
}

/* Opens the program's DWARF, finds the data-block struct of region function `fn`, and returns what
   `visit` returns for it (0 when there is no debug information). */
static int visit_data_struct(uintptr_t fn, int (*visit)(Dwarf_Die *st, void *ctx), void *ctx) {
    Dl_info info;
    if (!libdw_loaded() || !dladdr((void *)fn, &info)) return 0;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
    if (!dw) { close(fd); return 0; }
    int result = 0;
    Dwarf_Addr pc = fn - (uintptr_t)info.dli_fbase;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, die, st;
        if (dwarf_offdie(dw, off + hsize, &cu) && find_subprogram(&cu, pc, &die)) {
            if (data_struct(&die, &st)) result = visit(&st, ctx);
            break;
        }
        off = next;
    }
    dwarf_end(dw);
    close(fd);
    return result;
}

struct name_query { uintptr_t data, addr, offset; };

/* The member holding `addr`: a pointer to a shared variable, or a variable copied into the block
   (and back out after the region). */
static int name_member(Dwarf_Die *st, void *ctx) {
    struct name_query *q = ctx;
    Dwarf_Die member;
    if (dwarf_child(st, &member) != 0) return 0;
    do {
        Dwarf_Word loc, size = 0;
        Dwarf_Attribute a;
        Dwarf_Die t, target;
        if (dwarf_tag(&member) != DW_TAG_member || !dwarf_attr(&member, DW_AT_data_member_location, &a) ||
            dwarf_formudata(&a, &loc) != 0) continue;
        Dwarf_Die *mt = strip_type(&member, &t);
        if (!mt) continue;
        uintptr_t base;
        if (dwarf_tag(mt) == DW_TAG_pointer_type) {
            memcpy(&base, (const void *)(q->data + loc), sizeof base);
            Dwarf_Die *pt = strip_type(mt, &target);
            if (!pt || dwarf_aggregate_size(pt, &size) != 0 || size == 0) size = 8;
        } else {
            base = q->data + loc;
            if (dwarf_aggregate_size(mt, &size) != 0 || size == 0) size = 1;
        }
        if (q->addr < base || q->addr >= base + size) continue;
        const char *n = dwarf_diename(&member);
        if (!n) return 0;
        strncpy(found_name, n, sizeof found_name - 1);
        found_name[sizeof found_name - 1] = 0;
        q->offset = q->addr - base;
        return 1;
    } while (dwarf_siblingof(&member, &member) == 0);
    return 0;
}

const char *cape_dwarf_shared_name(uintptr_t fn, uintptr_t data, uintptr_t addr, uintptr_t *offset) {
    struct name_query q = { data, addr, 0 };
    if (!visit_data_struct(fn, name_member, &q)) return NULL;
    if (offset) *offset = q.offset;
    return found_name;
}

static int struct_size(Dwarf_Die *st, void *ctx) {
    Dwarf_Word size;
    if (dwarf_aggregate_size(st, &size) != 0) return 0;
    *(size_t *)ctx = (size_t)size;
    return 1;
}

/* The byte size of the data block of region function `fn` (its `.omp_data_i` struct), or 0. */
size_t cape_dwarf_data_size(uintptr_t fn) {
    size_t size = 0;
    return visit_data_struct(fn, struct_size, &size) ? size : 0;
}

/* "file:line" of the code at `fn` (a region's outlined function starts at its pragma), or NULL. */
const char *cape_dwarf_source_line(uintptr_t fn) {
    Dl_info info;
    if (!libdw_loaded() || !dladdr((void *)fn, &info)) return NULL;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
    const char *result = NULL;
    if (dw) {
        Dwarf_Die cu;
        Dwarf_Addr pc = fn - (uintptr_t)info.dli_fbase;
        Dwarf_Line *line;
        int lineno = 0;
        const char *file;
        if (dwarf_addrdie(dw, pc, &cu) && (line = dwarf_getsrc_die(&cu, pc)) && (file = dwarf_linesrc(line, NULL, NULL)) &&
            dwarf_lineno(line, &lineno) == 0) {
            const char *base = strrchr(file, '/');
            snprintf(found_name, sizeof found_name, "%s:%d", base ? base + 1 : file, lineno);
            result = found_name;
        }
        dwarf_end(dw);
    }
    close(fd);
    return result;
}
