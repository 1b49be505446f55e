/* MPICH for Swift: its handles are cast macros (MPI_COMM_WORLD is ((MPI_Comm)0x44000000)),
   which Swift cannot import, so they are wrapped in inline functions here. */
#include <mpi.h>
static inline MPI_Comm cape_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype cape_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype cape_mpi_uint64(void) { return MPI_UINT64_T; }
static inline MPI_Status *cape_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline MPI_Status *cape_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
static inline int cape_mpi_any_source(void) { return MPI_ANY_SOURCE; }

/* MPI's handler type is variadic, which Swift cannot write: this C handler stands in for it and
   calls cape_proxy_mpi_failed (cape-proxy, MPIFailure.swift) with the error code. It is set on
   MPI_COMM_WORLD; communicators duplicated from it afterwards inherit it. */
void cape_proxy_mpi_failed(int code);
static inline void cape_mpi_error_handler(MPI_Comm *comm, int *code, ...) {
    (void)comm;
    cape_proxy_mpi_failed(*code);
}
static inline int cape_mpi_set_error_handler(void) {
    MPI_Errhandler h;
    int rc = MPI_Comm_create_errhandler(cape_mpi_error_handler, &h);
    if (rc != MPI_SUCCESS) return rc;
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, h);
}
