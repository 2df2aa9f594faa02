import Parallel
