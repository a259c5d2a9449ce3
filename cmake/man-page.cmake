# SPDX-License-Identifier: MIT
# man-page.cmake — writes the man page gradsweep(1) from the built program's own
# --help (and the help of its commands) and --version, at build time, so the page
# cannot drift from the program. Run by the build (cmake/install.cmake):
#   cmake -DGRADSWEEP=build/gradsweep -DVERSION=0.1.0 -DOUTPUT=gradsweep.1 -P man-page.cmake
#
# The help texts are plain text in a few shapes, each mapped onto man(7):
#   Usage: ... (and its continuation lines)   -> SYNOPSIS
#   a line at column 0 ending in ':'           -> a subsection (.SS)
#   "  -o, --output FILE    text", and lines   -> a tagged paragraph (.TP): the
#   indented to the description under it         option in bold, the text filled
#   any other indented line                    -> kept as it is (.nf), e.g. the
#                                                 sweep file's YAML, examples, tables
#   other text at column 0                     -> filled paragraphs
# Anything the help gains later falls into one of these, at worst shown verbatim.
cmake_minimum_required(VERSION 3.22)

foreach(var GRADSWEEP VERSION OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "man-page.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_gradsweep out_var)
  execute_process(COMMAND ${GRADSWEEP} ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR out STREQUAL "")
    string(REPLACE ";" " " args "${ARGN}")
    message(FATAL_ERROR "man page: `${GRADSWEEP} ${args}` failed (exit ${rc}):\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# Text for roff: backslashes, minus signs (an ASCII '-' that copies and pastes
# as one; groff would print a hyphen), quotes, and a leading '.' or "'" that
# roff would take for a request.
function(roff out_var text)
  string(REPLACE "@BS@" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REPLACE "'" "\\(aq" text "${text}")
  string(REPLACE "`" "\\(ga" text "${text}")
  if(text MATCHES "^[.]")
    set(text "\\&${text}")
  endif()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# The text as a CMake list of lines. ';', brackets and backslashes would
# confuse CMake's lists; they travel as placeholders until roff() and
# restore() turn them back.
function(text_lines out_var text)
  string(REPLACE "\\" "@BS@" text "${text}")
  string(REPLACE ";" "@SEMI@" text "${text}")
  string(REPLACE "[" "@LB@" text "${text}")
  string(REPLACE "]" "@RB@" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

function(restore out_var text)
  string(REPLACE "@SEMI@" ";" text "${text}")
  string(REPLACE "@LB@" "[" text "${text}")
  string(REPLACE "@RB@" "]" text "${text}")
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

function(leading_spaces out_var line)
  set(n 0)
  if(line MATCHES "^( +)")
    string(LENGTH "${CMAKE_MATCH_1}" n)
  endif()
  set(${out_var} ${n} PARENT_SCOPE)
endfunction()

# Converts one help text (without its Usage lines) to man(7) markup.
function(help_to_roff out_var lines)
  set(roff_text "")
  set(mode none)       # none | text | option | verbatim
  set(desc_col 27)     # where option descriptions start (learnt from the options)
  set(paragraph "")    # column-0 lines being gathered
  list(LENGTH lines count)
  set(i 0)
  while(i LESS count)
    list(GET lines ${i} line)
    math(EXPR i "${i} + 1")
    string(REGEX REPLACE " +$" "" line "${line}")
    leading_spaces(indent "${line}")
    # The next line, to tell a one-line heading from a paragraph's last line.
    set(next "")
    if(i LESS count)
      list(GET lines ${i} next)
    endif()
    if(line STREQUAL "")
      if(mode STREQUAL "verbatim")
        string(APPEND roff_text ".fi\n.RE\n")
      endif()
      set(mode none)
      continue()
    endif()
    if(indent EQUAL 0)
      if(mode STREQUAL "verbatim")
        string(APPEND roff_text ".fi\n.RE\n")
      endif()
      roff(escaped "${line}")
      if(line MATCHES "^[A-Z].*:$" AND next MATCHES "^ ")
        string(REGEX REPLACE ":$" "" heading "${escaped}")
        string(APPEND roff_text ".SS \"${heading}\"\n")
        set(mode none)
      elseif(mode STREQUAL "text")
        string(APPEND roff_text "${escaped}\n")
      else()
        string(APPEND roff_text ".PP\n${escaped}\n")
        set(mode text)
      endif()
      continue()
    endif()
    # An option: "  -x, --long ARG   description", the description after two
    # spaces, or at the description column after one.
    if(line MATCHES "^ +-" AND indent LESS 12)
      string(SUBSTRING "${line}" ${indent} -1 rest)
      string(FIND "${rest}" "  " gap)
      if(gap GREATER 0)
        string(SUBSTRING "${rest}" 0 ${gap} tag)
        string(SUBSTRING "${rest}" ${gap} -1 desc)
        string(STRIP "${desc}" desc)
        string(LENGTH "${line}" len)
        string(LENGTH "${desc}" dlen)
        math(EXPR desc_col "${len} - ${dlen}")
      else()
        string(LENGTH "${line}" len)
        if(len GREATER desc_col)
          math(EXPR cut "${desc_col} - 1")
          string(SUBSTRING "${line}" ${cut} 1 before)
        else()
          set(before "x")
        endif()
        if(before STREQUAL " ")
          math(EXPR taglen "${desc_col} - ${indent}")
          string(SUBSTRING "${line}" ${indent} ${taglen} tag)
          string(SUBSTRING "${line}" ${desc_col} -1 desc)
          string(STRIP "${tag}" tag)
        else()
          set(tag "${rest}")
          set(desc "")
        endif()
      endif()
      if(mode STREQUAL "verbatim")
        string(APPEND roff_text ".fi\n.RE\n")
      endif()
      roff(tag "${tag}")
      roff(desc "${desc}")
      string(APPEND roff_text ".TP\n.B ${tag}\n")
      if(NOT desc STREQUAL "")
        string(APPEND roff_text "${desc}\n")
      endif()
      set(mode option)
      continue()
    endif()
    if(mode STREQUAL "option" AND indent GREATER 14)
      string(STRIP "${line}" cont)
      roff(cont "${cont}")
      string(APPEND roff_text "${cont}\n")
      continue()
    endif()
    # Anything else indented: as it is.
    if(NOT mode STREQUAL "verbatim")
      string(APPEND roff_text ".PP\n.RS 2\n.nf\n")
      set(mode verbatim)
    endif()
    string(SUBSTRING "${line}" 2 -1 kept)
    roff(kept "${kept}")
    string(APPEND roff_text "${kept}\n")
  endwhile()
  if(mode STREQUAL "verbatim")
    string(APPEND roff_text ".fi\n.RE\n")
  endif()
  set(${out_var} "${roff_text}" PARENT_SCOPE)
endfunction()

# Splits a help text into its Usage lines (the synopsis: "Usage: " taken off
# the first, as many columns off the lines under it) and the rest.
function(split_usage usage_var rest_var text)
  text_lines(lines "${text}")
  set(usage "")
  set(rest "")
  set(in_usage TRUE)
  foreach(line IN LISTS lines)
    if(in_usage AND line MATCHES "^Usage: ")
      string(REGEX REPLACE "^Usage: " "" line "${line}")
      list(APPEND usage "${line}")
    elseif(in_usage AND usage AND line MATCHES "^       ")
      string(SUBSTRING "${line}" 7 -1 line)
      list(APPEND usage "${line}")
    else()
      set(in_usage FALSE)
      list(APPEND rest "${line}")
    endif()
  endforeach()
  set(${usage_var} "${usage}" PARENT_SCOPE)
  set(${rest_var} "${rest}" PARENT_SCOPE)
endfunction()

function(synopsis_roff out_var usage)
  set(text "")
  foreach(line IN LISTS usage)
    roff(line "${line}")
    string(APPEND text "${line}\n")
  endforeach()
  set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

# ---- the page ---------------------------------------------------------------------
run_gradsweep(help --help)
run_gradsweep(version --version)
text_lines(version_lines "${version}")
list(GET version_lines 0 first)
if(NOT first MATCHES "^gradsweep ${VERSION} ")
  message(FATAL_ERROR "man page: gradsweep --version says \"${first}\", the build says "
                      "version ${VERSION}")
endif()

split_usage(usage rest "${help}")
synopsis_roff(synopsis "${usage}")
help_to_roff(body "${rest}")

set(page ".\\\" Generated from `gradsweep --help` by cmake/man-page.cmake; do not edit.\n")
string(APPEND page ".\\\" SPDX-License-Identifier: MIT\n")
string(APPEND page ".TH GRADSWEEP 1 \"\" \"gradsweep ${VERSION}\" \"User Commands\"\n")
string(APPEND page ".nh\n.ad l\n") # options and paths are neither hyphenated nor stretched
string(APPEND page ".SH NAME\ngradsweep \\- map where deep networks\\(aq signals and gradients "
                   "vanish or explode\n")
string(APPEND page ".SH SYNOPSIS\n.nf\n${synopsis}.fi\n")
string(APPEND page ".SH DESCRIPTION\n${body}")

# The commands, each from its own --help.
string(APPEND page ".SH COMMANDS\n")
foreach(command theory simulate export)
  run_gradsweep(command_help ${command} --help)
  split_usage(usage rest "${command_help}")
  synopsis_roff(synopsis "${usage}")
  help_to_roff(body "${rest}")
  string(APPEND page ".SS \"gradsweep ${command}\"\n.nf\n${synopsis}.fi\n${body}")
endforeach()

# Where an installation keeps the rest of gradsweep (cmake/install.cmake).
string(APPEND page [[
.SH FILES
Relative to the installation prefix (the folder holding
.IR bin/gradsweep ;
the modulefile sets
.B GRADSWEEP_ROOT
to it):
.TP
.I bin/gradsweep\-plot
every figure and the summary table of a results file:
.B gradsweep\-plot RESULTS.h5 \-o FIGURES
.RB ( \-\-help
for its options)
.TP
.I share/gradsweep/jobs/
Slurm batch scripts
.RI ( sweep.sbatch ,
.IR sweep\-requeue.sbatch :
copy one and edit its #SBATCH lines) and the example sweep
.I example.yaml
.TP
.I share/gradsweep/python/gradsweep_plots.py
the plotting library behind gradsweep\-plot, for notebooks
.TP
.I share/doc/gradsweep/
README.md, the documentation
.RI ( docs/usage.md ,
.IR docs/schema.md ,
.IR docs/theory.md ,
.IR docs/analysis.md ,
\&...), LICENSE, CITATION.cff
.TP
.I share/modulefiles/gradsweep/
the environment-modules / Lmod modulefile:
.B module use PREFIX/share/modulefiles; module load gradsweep
.SH ENVIRONMENT
.TP
.B OPENBLAS_NUM_THREADS
OpenBLAS threads per rank when \-\-blas\-threads is not given (default 1); the
modulefile and the Slurm scripts set it.
.TP
.B OPENBLAS_CORETYPE
the OpenBLAS kernel; results are bitwise reproducible for the same kernel and
thread count.
.TP
.B HDF5_USE_FILE_LOCKING
FALSE lets readers open a results file while a sweep writes it, and is needed on
some network file systems.
]])

# License and citation: the program's own --version, lines 2 onwards.
list(REMOVE_AT version_lines 0)
set(copyright "")
set(cite "")
foreach(line IN LISTS version_lines)
  string(STRIP "${line}" line)
  roff(line "${line}")
  if(line MATCHES "^Copyright")
    string(APPEND copyright "${line}\n")
  else()
    string(REGEX REPLACE "^How to cite: *" "" line "${line}")
    string(APPEND cite "${line}\n")
  endif()
endforeach()
string(APPEND page ".SH HOW TO CITE\n${cite}")
string(APPEND page ".SH COPYRIGHT\n${copyright}")
string(APPEND page [[
.SH SEE ALSO
.BR mpirun (1),
.BR srun (1),
.BR sbatch (1),
.BR h5dump (1),
.BR module (1)
]])

restore(page "${page}")
file(WRITE "${OUTPUT}.tmp" "${page}")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
