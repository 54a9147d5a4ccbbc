# The tree is the architecture: a folder may include only from the layers
# below it. Run as `cmake -DSOURCE_DIR=<repo> -P tests/layering.cmake` (a
# CTest test); it fails naming each file and include that breaks a rule.
# An include without a folder ("runner.hpp") is the folder's own.
cmake_minimum_required(VERSION 3.25)

set(rules
  "common:common"
  "servers/http:common stats http"
  "servers/stats:common stats"
  "servers/loops:common http stats loops"
  "servers/cli:common stats http cli"
  "servers/process:common http stats loops cli process"
  "servers/prefork_epoll:common http stats loops cli process"
  "servers/accept_mutex_fork:common http stats loops cli process"
  "servers/threadpool:common http stats cli threadpool"
  "harness/scenario:common load scenario"
  "harness/host:common host"
  "harness/measure:common load measure"
  "harness/results:common measure results"
  "load:common load"
  "harness/guard:common guard"
  "harness/launch:common scenario measure guard launch"
  "harness/hostside:common host measure guard hostside"
  "harness/remote:common scenario host measure guard launch remote"
  "harness:common load scenario host measure results guard launch remote")

set(violations "")
foreach(rule IN LISTS rules)
  string(REPLACE ":" ";" parts "${rule}")
  list(GET parts 0 folder)
  list(GET parts 1 allowed)
  set(allowed_text "${allowed}")
  string(REPLACE " " ";" allowed "${allowed}")
  file(GLOB sources "${SOURCE_DIR}/${folder}/*.cpp" "${SOURCE_DIR}/${folder}/*.hpp")
  if(NOT sources)
    list(APPEND violations "${folder}: no sources (is the rule stale?)")
  endif()
  foreach(source IN LISTS sources)
    file(STRINGS "${source}" includes REGEX "^#include \"")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"([^\"]*)\".*" "\\1" header "${line}")
      if(NOT header MATCHES "/")
        continue()
      endif()
      string(REGEX REPLACE "/.*" "" layer "${header}")
      if(NOT layer IN_LIST allowed)
        file(RELATIVE_PATH file "${SOURCE_DIR}" "${source}")
        list(APPEND violations "${file} includes \"${header}\": ${folder} may use only ${allowed_text}")
      endif()
    endforeach()
  endforeach()
endforeach()

if(violations)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering broken:\n  ${text}")
endif()
message(STATUS "layering: every include follows the rules")
