// Tests that start processes use `ChildProcess` from the Processes library through TestSupport.
@_exported import Processes
