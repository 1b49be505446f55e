/* Names for race reports, from the program's debug information (libdw).
 *
 * A variable that a region shares by reference is reached through the region's data block: gcc
 * describes the outlined function's parameter `.omp_data_i` as a pointer to a struct whose members
 * carry the variables' names and hold pointers to them. Reading those pointers in the live data
 * block tells which variable an address belongs to, even on the stack, where the symbol table has
 * no names. C because libdw is a C library; only used to report a race, so nothing is cached. */
#define _GNU_SOURCE
#include "cape_shim.h"
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char found_name[256];

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

const char *cape_dwarf_shared_name(uintptr_t fn, uintptr_t data, uintptr_t addr, uintptr_t *offset) {
    Dl_info info;
    if (!dladdr((void *)fn, &info) || !info.dli_fname) return NULL;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
    const char *result = NULL;
    if (!dw) { close(fd); return NULL; }
    Dwarf_Addr pc = fn - (uintptr_t)info.dli_fbase;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (!result && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, die;
        if (dwarf_offdie(dw, off + hsize, &cu) && find_subprogram(&cu, pc, &die)) {
            Dwarf_Die st, member;
            if (data_struct(&die, &st) && dwarf_child(&st, &member) == 0) {
                do {
                    Dwarf_Word loc;
                    Dwarf_Attribute a;
                    if (dwarf_tag(&member) != DW_TAG_member || !dwarf_attr(&member, DW_AT_data_member_location, &a) ||
                        dwarf_formudata(&a, &loc) != 0) continue;
                    Dwarf_Die t, target;
                    Dwarf_Die *mt = strip_type(&member, &t);
                    if (!mt) continue;
                    if (dwarf_tag(mt) != DW_TAG_pointer_type) {
                        /* A variable copied into the block and back out after the region. */
                        Dwarf_Word msize = 0;
                        if (dwarf_aggregate_size(mt, &msize) != 0 || msize == 0) msize = 1;
                        if (addr >= data + loc && addr < data + loc + msize) {
                            const char *n = dwarf_diename(&member);
                            if (n) {
                                strncpy(found_name, n, sizeof found_name - 1);
                                found_name[sizeof found_name - 1] = 0;
                                if (offset) *offset = addr - (data + loc);
                                result = found_name;
                                break;
                            }
                        }
                        continue;
                    }
                    Dwarf_Word size = 0;
                    Dwarf_Die *pt = strip_type(mt, &target);
                    if (pt) {
                        int sz = dwarf_aggregate_size(pt, &size) == 0;
                        if (!sz) size = 0;
                    }
                    uintptr_t p;
                    memcpy(&p, (const void *)(data + loc), sizeof p);
                    if (size == 0) size = 8;
                    if (addr >= p && addr < p + size) {
                        const char *n = dwarf_diename(&member);
                        if (n) {
                            strncpy(found_name, n, sizeof found_name - 1);
                            found_name[sizeof found_name - 1] = 0;
                            if (offset) *offset = addr - p;
                            result = found_name;
                        }
                        break;
                    }
                } while (dwarf_siblingof(&member, &member) == 0);
            }
        }
        off = next;
    }
    dwarf_end(dw);
    close(fd);
    return result;
}

/* The byte size of the data block of region function `fn` (its `.omp_data_i` struct), or 0. */
size_t cape_dwarf_data_size(uintptr_t fn) {
    Dl_info info;
    if (!dladdr((void *)fn, &info)) return 0;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    Dwarf *dw = dwarf_begin(fd, DWARF_C_READ);
    if (!dw) { close(fd); return 0; }
    size_t result = 0;
    Dwarf_Addr pc = fn - (uintptr_t)info.dli_fbase;
    Dwarf_Off off = 0, next;
    size_t hsize;
    while (!result && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
        Dwarf_Die cu, die, st;
        Dwarf_Word size;
        if (dwarf_offdie(dw, off + hsize, &cu) && find_subprogram(&cu, pc, &die) && data_struct(&die, &st) &&
            dwarf_aggregate_size(&st, &size) == 0)
            result = (size_t)size;
        off = next;
    }
    dwarf_end(dw);
    close(fd);
    return result;
}
