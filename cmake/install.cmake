# SPDX-License-Identifier: MIT
# install.cmake — `cmake --install` of the whole product in the GNU layout:
#
#   bin/gradsweep                          the program
#   bin/gradsweep-plot                     analysis/plot.py: every figure of a results file
#   share/gradsweep/python/                gradsweep_plots.py, the library it imports
#                                          (and notebooks: the modulefile sets PYTHONPATH)
#   share/gradsweep/jobs/                  the Slurm scripts and example sweeps of jobs/
#   share/doc/gradsweep/                   README.md, LICENSE, CITATION.cff, docs/
#   share/man/man1/gradsweep.1             from gradsweep --help, at build time
#   share/modulefiles/gradsweep/VERSION    Tcl modulefile (Lmod and environment-modules)
#
#   cmake --install build --prefix ~/.local          (or /opt/gradsweep/0.1.0, ...)
#
# The Slurm scripts, the modulefile and gradsweep-plot are written at install
# time (install-generated.cmake.in), since they name the prefix, which
# `--prefix` may choose only then: the scripts run PREFIX/bin/gradsweep (a batch
# script is run from a copy in Slurm's spool folder, so it cannot find its
# prefix itself); the modulefile names the prefix's folders; gradsweep-plot
# finds its library relative to itself, so a moved prefix keeps it working.
# DESTDIR is honoured (packaging). Nothing installed points into the source or
# build tree: tests/slurm/test_install.py installs from a clean copy,
# deletes both trees and runs everything from the prefix.
include(GNUInstallDirs)

# One version everywhere: the program's (common.h), CMake's, the citation's.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/gradsweep/common.h gs_version_line
     REGEX "^#define GS_VERSION ")
string(REGEX REPLACE "^#define GS_VERSION \"([^\"]*)\".*" "\\1" gs_program_version
       "${gs_version_line}")
file(STRINGS ${PROJECT_SOURCE_DIR}/CITATION.cff gs_citation_line REGEX "^version:")
string(REGEX REPLACE "^version: *\"?([^\"]*)\"?$" "\\1" gs_citation_version "${gs_citation_line}")
if(NOT gs_program_version STREQUAL PROJECT_VERSION
   OR NOT gs_citation_version STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "versions disagree: project() says ${PROJECT_VERSION}, GS_VERSION in "
                      "include/gradsweep/common.h \"${gs_program_version}\", CITATION.cff "
                      "\"${gs_citation_version}\"; make them equal")
endif()

install(TARGETS gradsweep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES analysis/gradsweep_plots.py analysis/gradsweep_blocks.py
        DESTINATION ${CMAKE_INSTALL_DATADIR}/gradsweep/python)
file(GLOB gs_example_sweeps CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/jobs/*.yaml)
install(FILES ${gs_example_sweeps} DESTINATION ${CMAKE_INSTALL_DATADIR}/gradsweep/jobs)
install(FILES README.md LICENSE CITATION.cff DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs FILES_MATCHING PATTERN "*.md")

# ---- the man page: gradsweep(1) from the program's own --help ---------------------
# Needs to run the program, so the build runs it (under ASan in the sanitizer
# build: its leak check is off there, Open MPI's allocations live until exit).
option(GS_MAN_PAGE "Generate the man page gradsweep(1) from gradsweep --help and install it" ON)
if(GS_MAN_PAGE)
  set(gs_man_page ${PROJECT_BINARY_DIR}/man/gradsweep.1)
  add_custom_command(
    OUTPUT ${gs_man_page}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
            ${CMAKE_COMMAND} -DGRADSWEEP=$<TARGET_FILE:gradsweep> -DVERSION=${PROJECT_VERSION}
                             -DOUTPUT=${gs_man_page} -P ${PROJECT_SOURCE_DIR}/cmake/man-page.cmake
    DEPENDS gradsweep ${PROJECT_SOURCE_DIR}/cmake/man-page.cmake
    COMMENT "Man page gradsweep(1) from gradsweep --help"
    VERBATIM)
  add_custom_target(man ALL DEPENDS ${gs_man_page})
  install(FILES ${gs_man_page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# ---- files that name the prefix: written at install time ---------------------------
configure_file(${PROJECT_SOURCE_DIR}/cmake/install-generated.cmake.in
               ${PROJECT_BINARY_DIR}/install-generated.cmake @ONLY)
install(SCRIPT ${PROJECT_BINARY_DIR}/install-generated.cmake)
