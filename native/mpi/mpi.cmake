# topofr_mpi.node, the MPI binding (native/mpi/), included by CMakeLists.txt. Built when CMake finds
# an MPI C library (TOPOFR_MPI=auto), required with TOPOFR_MPI=ON, skipped with OFF. It links the
# user's libmpi dynamically (MPI implementations are not ABI-compatible), so it is never part of
# the prebuild; it lands in build/<config>/mpi/, out of reach of node-gyp-build and prebuildify,
# which take the first *.node of build/<config>/. Its H0 sources are the main addon's, compiled
# again with the builtin GEMM (distances never use OpenBLAS), so both addons compute the same bits.
set(TOPOFR_MPI "auto" CACHE STRING "MPI binding: auto (when MPI is found), ON (required), OFF")
if(NOT TOPOFR_MPI STREQUAL "OFF")
  include(CheckLanguage)
  check_language(C)  # FindMPI's C component probes with the C compiler
  if(CMAKE_C_COMPILER)
    enable_language(C)
  endif()
endif()
if(TOPOFR_MPI STREQUAL "ON")
  find_package(MPI REQUIRED COMPONENTS C)
elseif(NOT TOPOFR_MPI STREQUAL "OFF")
  find_package(MPI QUIET COMPONENTS C)
endif()

if(MPI_C_FOUND AND NOT TOPOFR_MPI STREQUAL "OFF")
  topofr_sources(mpi MPI_SOURCES)
  add_library(topofr_mpi SHARED ${MPI_SOURCES} ${AVX2_SOURCES} ${AVX512_SOURCES} ${CMAKE_JS_SRC})
  set_target_properties(topofr_mpi PROPERTIES PREFIX "" SUFFIX ".node" CXX_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}/mpi")
  target_include_directories(topofr_mpi PRIVATE ${CMAKE_JS_INC})
  # The C API only: without these, <mpi.h> compiled as C++ pulls in the deprecated C++ bindings.
  target_compile_definitions(topofr_mpi PRIVATE NAPI_VERSION=8 NAPI_CPP_EXCEPTIONS NODE_ADDON_API_DISABLE_DEPRECATED
    OMPI_SKIP_MPICXX MPICH_SKIP_MPICXX)
  target_compile_options(topofr_mpi PRIVATE ${TOPOFR_CXX_FLAGS})
  target_link_libraries(topofr_mpi PRIVATE ${CMAKE_JS_LIB} MPI::MPI_C Threads::Threads)
  message(STATUS "topofr: MPI binding ON (${MPI_C_LIBRARIES})")
else()
  message(STATUS "topofr: MPI binding OFF (no MPI found; apt-get install libopenmpi-dev)")
endif()
