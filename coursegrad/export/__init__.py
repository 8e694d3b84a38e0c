"""Out of the course folder: the students' bundle, a Gradescope autograder, a Canvas gradebook CSV.

- `bundle`: what students receive: the lectures, the student worksheets, the kit without the answer key.
- `gradescope`: build the autograder zip (`setup.sh`, `run_autograder`, the kit, the instructor source, the reference).
- `autograder`: what runs inside Gradescope: grade `submission/`, write `results/results.json`.
- `wheel`: the kit as a wheel, built from the package folder with the standard library only.
- `canvas`: a gradebook CSV that Canvas's gradebook import accepts, matched against a roster.
"""
