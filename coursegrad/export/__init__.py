"""Grades out of coursegrad: a Gradescope autograder, a Canvas gradebook CSV.

- `gradescope`: build the autograder zip (`setup.sh`, `run_autograder`, the kit, the instructor source).
- `autograder`: what runs inside Gradescope: grade `submission/`, write `results/results.json`.
- `wheel`: the kit as a wheel, built from the package folder with the standard library only.
- `canvas`: a gradebook CSV that Canvas's gradebook import accepts, matched against a roster.
"""
