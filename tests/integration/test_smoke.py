"""The shortest path through the stack, on both databases."""
from tests.harness import texts_to


def test_report_is_acknowledged_in_the_grid_and_carded_in_the_committee(h):
    result, sent = h.say("grid-1", "wang", "#报事 3栋门口路灯坏了一周了")
    assert result.status == "done"
    grid = texts_to(sent, "grid-1")
    assert len(grid) == 1 and "#1" in grid[0] and "公共设施" in grid[0]
    committee = texts_to(sent, "committee")
    assert len(committee) == 1 and "王阿姨" in committee[0]
